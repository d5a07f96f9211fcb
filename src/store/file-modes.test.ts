/**
 * Files the connector creates hold directory data: the store and its WAL and shared-memory files, and
 * `watch --out` event files, are created readable by their owner only (0600); files that already exist
 * keep the mode they have.
 */
import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileSink } from "../triggers/sinks/file-sink.ts";
import { openStore } from "./open.ts";

const dir = mkdtempSync(join(tmpdir(), "file-modes-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const mode = (path: string) => statSync(path).mode & 0o777;

describe("file modes", () => {
  for (const thread of [false, true]) {
    it(`a new store${thread ? " opened on its thread" : ""} and its -wal and -shm files are 0600`, async () => {
      const path = join(dir, `new-${thread}.db`);
      const store = await openStore(path, { thread });
      try {
        const run = await store.runs.start({ kind: "full", tenantId: "t" });
        await store.runs.finish(run.id, { status: "succeeded" });
        for (const file of [path, `${path}-wal`, `${path}-shm`]) assert.equal(mode(file), 0o600, file);
      } finally {
        await store.close();
      }
    });
  }

  it("an existing store keeps its mode", async () => {
    const path = join(dir, "existing.db");
    await (await openStore(path)).close();
    chmodSync(path, 0o640);
    await (await openStore(path)).close();
    assert.equal(mode(path), 0o640);
  });

  it("a new event file is 0600; an existing one keeps its mode", async () => {
    const created = join(dir, "events.jsonl");
    const sink = fileSink(created);
    await sink.open(0);
    await sink.close();
    assert.equal(mode(created), 0o600);
    const existing = join(dir, "existing.jsonl");
    writeFileSync(existing, "");
    chmodSync(existing, 0o644);
    const again = fileSink(existing);
    await again.open(0);
    await again.close();
    assert.equal(mode(existing), 0o644);
  });
});
