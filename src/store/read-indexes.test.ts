import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { openStore } from "./index.ts";
import { group, member, storeAdapters, user } from "./test-support.ts";
import type { Store } from "./types.ts";

async function load(store: Store, runId: string): Promise<void> {
  await store.sync.applyPage({
    runId,
    stream: "groups",
    upserts: [user("u1"), user("u2"), group("g1"), group("g2")],
    edges: { add: [member("g1", "u1"), member("g2", "u1"), member("g1", "u2")] },
  });
}

for (const adapter of storeAdapters(import.meta.url)) {
  describe(`a first load defers the indexes only reads use (${adapter.name})`, () => {
    it("defers them in an empty store, answers by principal exactly meanwhile, and builds them again", async () => {
      const store = await adapter.open();
      try {
        const run = await store.runs.start({ kind: "full", tenantId: "t" });
        assert.equal(await store.sync.deferReadIndexes(), true);
        await load(store, run.id);
        const held = async () =>
          (await store.query.grants({ principalId: "u1" })).map((g) => g.objectId).sort();
        assert.deepEqual(await held(), ["g1", "g2"]);
        await store.sync.restoreReadIndexes();
        assert.deepEqual(await held(), ["g1", "g2"]);
        // Built again: a second call has nothing to do and a store with relationships defers nothing.
        await store.sync.restoreReadIndexes();
        assert.equal(await store.sync.deferReadIndexes(), false);
        assert.deepEqual(await held(), ["g1", "g2"]);
        assert.deepEqual((await store.query.grants({ objectId: "g1" })).map((g) => g.principalId).sort(), [
          "u1",
          "u2",
        ]);
      } finally {
        await store.close();
      }
    });
  });
}

describe("read indexes after a first load killed before its end (sqlite)", () => {
  it("are built again when the store is next opened for writing once the load's lease has lapsed", async () => {
    const dir = mkdtempSync(join(tmpdir(), "entra-read-indexes-"));
    const path = join(dir, "store.db");
    try {
      const first = await openStore(path);
      // A lease of 1 ms: the killed process's run is as the next open finds it once its lease lapsed.
      const run = await first.runs.start({ kind: "full", tenantId: "t", leaseMs: 1 });
      assert.equal(await first.sync.deferReadIndexes(), true);
      await load(first, run.id);
      await first.close(); // as a killed process leaves it: never restored
      const { DatabaseSync } = await import("node:sqlite");
      const indexes = () => {
        const db = new DatabaseSync(path);
        try {
          return db
            .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'edges'")
            .all()
            .map((row) => row["name"]);
        } finally {
          db.close();
        }
      };
      assert.deepEqual(indexes(), []);
      await new Promise((resolve) => setTimeout(resolve, 5));
      const reopened = await openStore(path);
      await reopened.close();
      assert.deepEqual(indexes(), ["edges_by_principal"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
