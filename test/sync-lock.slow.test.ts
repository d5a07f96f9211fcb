/**
 * One sync per store: `sync` started several times at the same instant on a fresh store, as real
 * processes. The run that gets the store's lock writes it, the others are refused naming the holder
 * (or wait their turn with --wait), and the store always ends equal to the emulator's snapshot.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { openStore } from "../src/store/index.ts";
import { runCliCollect } from "./support/child-process.ts";
import { comparison, type Harness, startHarness } from "./sync-support.ts";

const STARTS = 3;

let h: Harness;
before(async () => {
  h = await startHarness({ size: "m", seed: 23 });
});
after(() => h.close());

/** The store at `path` against the emulator's snapshot; returns its runs, oldest first. */
async function assertExact(path: string, label: string) {
  const store = await openStore(path, { mustExist: true });
  try {
    const compared = await comparison(store, (await h.emu.snapshot()) as Record<string, unknown>);
    for (const [kind, { actual, expected }] of Object.entries(compared)) {
      assert.deepEqual(actual, expected, `${label}: ${kind} differ from the emulator's snapshot`);
    }
    return (await store.runs.list()).reverse();
  } finally {
    await store.close();
  }
}

function together(args: string[], path: string) {
  const env = { ...h.env, ENTRA_STORE: path };
  return Promise.all(Array.from({ length: STARTS }, () => runCliCollect(args, env)));
}

test("syncs started together on a fresh store: one writes, the others are refused naming it, the store is exact", async () => {
  for (let round = 0; round < 4; round++) {
    const path = join(h.dir, `refused-${round}.db`);
    const ended = await together(["sync", "--json"], path);
    const refused = ended.filter((e) => e.code !== 0);
    assert.ok(refused.length < STARTS, `round ${round}: every sync failed: ${refused[0]?.stderr}`);
    for (const e of refused) {
      // With --json the error is one JSON object on stderr (stdout carries only results).
      const line = e.stderr.split("\n").find((l) => l.startsWith('{"error"')) ?? "";
      const error = (JSON.parse(line) as { error: { code: string; message: string } }).error;
      assert.equal(e.code, 2, e.stdout + e.stderr);
      assert.equal(error.code, "STORE_SYNC_RUNNING");
      assert.match(error.message, /run 1 by process \d+ on host /);
    }
    await assertExact(path, `round ${round}`);
  }
});

test("with --wait, syncs started together all run, one after the other, and the store is exact", async () => {
  const path = join(h.dir, "waited.db");
  const ended = await together(["sync", "--wait", "--json"], path);
  assert.deepEqual(
    ended.map((e) => e.code),
    Array(STARTS).fill(0),
    ended.map((e) => e.stdout + e.stderr).join("\n"),
  );
  const runs = await assertExact(path, "--wait");
  assert.deepEqual(
    runs.map((r) => [r.kind, r.status]),
    [
      ["full", "succeeded"],
      // Planned once the store was theirs: the first run's delta links make them incremental.
      ["incremental", "succeeded"],
      ["incremental", "succeeded"],
    ],
  );
  for (let i = 1; i < runs.length; i++) {
    const [previous, next] = [runs[i - 1], runs[i]];
    assert.ok(
      previous?.finishedAt && next && previous.finishedAt <= next.startedAt,
      `run ${next?.number} started before run ${previous?.number} ended`,
    );
  }
});
