/**
 * The same tenant reached at another Graph root (a second emulator with the same seed): the store's
 * delta links name the old root, so the next sync must load in full, not fail and half-write.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { startEmulator } from "@entra-connector/graph-emulator";
import { createConnection, loadConfig, parseKinds, runSync } from "../src/index.ts";
import { comparison, type Emulator, emulatorEnv, type Harness, startHarness } from "./sync-support.ts";

let h: Harness;
let moved: Emulator;
before(async () => {
  h = await startHarness({ size: "s", seed: 11 });
  moved = await startEmulator({ port: 0, size: "s", seed: 11, latency: "none", throttle: false });
});
after(async () => {
  await h.close();
  await moved.close();
});

test("a store synced at one Graph root, then synced at another: one full resync, and the store equals the tenant", async () => {
  assert.equal((await h.sync()).run.status, "succeeded");
  assert.equal(moved.tenantId, h.emu.tenantId);
  assert.notEqual(moved.graphRoot, h.emu.graphRoot);
  // Changes the first root never reported, so the resync has something to reconcile.
  moved.mutate({ count: 12, seed: 5 });

  const env = emulatorEnv(moved, join(h.dir, "store.db"), "s");
  const connection = createConnection(loadConfig({ env }), { env, persistTokens: false });
  try {
    const summary = await runSync({
      client: connection.graph,
      store: h.store,
      tenantId: moved.tenantId,
      options: { kinds: parseKinds(undefined), full: false, skipAdGroups: false },
    });
    assert.equal(summary.run.status, "succeeded", JSON.stringify(summary.streams));
    assert.equal(summary.run.kind, "full");
    for (const stream of ["users", "groups", "apps"]) {
      assert.equal(summary.streams[stream]?.mode, "full");
      assert.ok(
        summary.warnings.some(
          (w) =>
            w.stream === stream &&
            w.message.includes(h.emu.graphRoot) &&
            w.message.includes(moved.graphRoot) &&
            w.message.includes("full resync"),
        ),
        JSON.stringify(summary.warnings),
      );
    }
  } finally {
    await connection.close();
  }
  for (const [kind, { actual, expected }] of Object.entries(await comparison(h.store, moved.snapshot()))) {
    assert.deepEqual(actual, expected, kind);
  }

  // The next run follows the new root's links incrementally.
  const again = createConnection(loadConfig({ env }), { env, persistTokens: false });
  try {
    const next = await runSync({
      client: again.graph,
      store: h.store,
      tenantId: moved.tenantId,
      options: { kinds: parseKinds(undefined), full: false, skipAdGroups: false },
    });
    assert.equal(next.run.kind, "incremental");
    assert.deepEqual(next.warnings, []);
  } finally {
    await again.close();
  }
});
