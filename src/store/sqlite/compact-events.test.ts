import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { openStore } from "../index.ts";
import { group, member, user } from "../test-support.ts";
import { SqliteDatabase } from "./database.ts";
import { MIGRATIONS } from "./migrations.ts";

describe("change events stored compactly (sqlite)", () => {
  it("reads events written before the compact format exactly as they were, and numbers on after them", async () => {
    const dir = mkdtempSync(join(tmpdir(), "entra-compact-events-"));
    const path = join(dir, "store.db");
    try {
      const old = new SqliteDatabase(path, MIGRATIONS.slice(0, 7));
      old.run(
        `INSERT INTO runs (id, kind, status, tenant_id, started_at, start_seq) VALUES ('run-a', 'full', 'succeeded', 'tenant-a', '2026-01-01T00:00:00.000Z', 0)`,
      );
      const stored = [
        ["e-1", "created", "user", "u1", '{"id":"u1","displayName":"Ann"}', null],
        ["e-2", "added", "group", "g1", '{"relation":"group:member","principalId":"u1"}', null],
        [
          "e-3",
          "updated",
          "user",
          "u1",
          '{"id":"u1","displayName":"Anne"}',
          '[{"path":"displayName","old":"Ann","new":"Anne"}]',
        ],
      ] as const;
      for (const [id, type, kind, resource, data, changes] of stored) {
        old.run(
          `INSERT INTO change_events (id, type, kind, resource_id, data, changes, run_id, tenant_id, detected_at)
           VALUES (?, ?, ?, ?, ?, ?, 'run-a', 'tenant-a', '2026-01-01T00:00:01.234Z')`,
          id,
          type,
          kind,
          resource,
          data,
          changes,
        );
      }
      old.close();

      const store = await openStore(path);
      try {
        const events = await store.outbox.read({});
        assert.deepEqual(
          events.map((e) => [e.seq, e.id, e.type, e.resourceId, e.runId, e.tenantId, e.detectedAt]),
          stored.map(([id, type, , resource], i) => [
            i + 1,
            id,
            type,
            resource,
            "run-a",
            "tenant-a",
            "2026-01-01T00:00:01.234Z",
          ]),
        );
        assert.deepEqual(events[1]?.data, { relation: "group:member", principalId: "u1" });
        assert.deepEqual(events[2]?.changes, [{ path: "displayName", old: "Ann", new: "Anne" }]);

        const run = await store.runs.start({ kind: "full", tenantId: "tenant-b" });
        const applied = await store.sync.applyPage({
          runId: run.id,
          stream: "groups",
          upserts: [user("u2"), group("g2")],
          edges: { add: [member("g2", "u2")] },
        });
        assert.deepEqual(
          applied.events.map((e) => e.seq),
          [4, 5, 6],
        );
        // What the page returned is what the outbox reads back, ids and rebuilt relationship data included.
        assert.deepEqual(await store.outbox.read({ afterSeq: 3 }), applied.events);
        const ids = new Set((await store.outbox.read({})).map((e) => e.id));
        assert.equal(ids.size, 6);
        assert.equal((await store.runs.get(run.id))?.stats["groups"]?.changes, 3);
      } finally {
        await store.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("gives every event a stable UUID-shaped id unique to its store", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const store = await openStore(":memory:");
      const run = await store.runs.start({ kind: "full", tenantId: "t" });
      const { events } = await store.sync.applyPage({
        runId: run.id,
        stream: "users",
        upserts: [user("u1"), user("u2")],
      });
      assert.deepEqual(
        (await store.outbox.read({})).map((e) => e.id),
        events.map((e) => e.id),
      );
      ids.push(...events.map((e) => e.id));
      await store.close();
    }
    for (const id of ids)
      assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(new Set(ids).size, 4);
  });
});
