/**
 * Exactness under faults: 10% of requests fail (429 with Retry-After, 503, 504, connection resets) and
 * throttling is on, into each store adapter. Slow by nature: every fault costs the client's Retry-After
 * or backoff wait.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { comparison, type Harness, STORE_KINDS, startHarness } from "./sync-support.ts";

async function assertExact(h: Harness, label: string): Promise<void> {
  const compared = await comparison(h.store, (await h.emu.snapshot()) as Record<string, unknown>);
  for (const [kind, { actual, expected }] of Object.entries(compared)) {
    assert.deepEqual(actual, expected, `${label}: ${kind} differ from the emulator's snapshot`);
  }
}

for (const [storeKind, seed] of STORE_KINDS.flatMap((k) => [5, 13].map((seed) => [k, seed] as const))) {
  test(`${storeKind}, seed ${seed}: with 10% injected faults and throttling on, full and incremental syncs are still exact`, async () => {
    const h = await startHarness({ size: "s", seed, faultRate: 0.1, throttle: true }, storeKind);
    try {
      const full = await h.sync();
      assert.equal(full.run.status, "succeeded", JSON.stringify(full.streams));
      await assertExact(h, "after the full sync under faults");
      for (let round = 1; round <= 3; round++) {
        await h.emu.mutate({ count: 10, seed: seed * 100 + round });
        const inc = await h.sync();
        assert.equal(inc.run.status, "succeeded", JSON.stringify(inc.streams));
        await assertExact(h, `after incremental sync ${round} under faults`);
      }
    } finally {
      await h.close();
    }
  });
}
