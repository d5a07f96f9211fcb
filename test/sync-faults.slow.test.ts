/**
 * Exactness under faults: 10% of requests fail (429 with Retry-After, 503, 504, connection resets) and
 * throttling is on, into each store adapter. Slow by nature: every fault costs the client's Retry-After
 * or backoff wait.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { UPN_PARTITIONS } from "../src/sync/partitions.ts";
import { assertExact, PARTITIONED, STORE_KINDS, startHarness } from "./sync-support.ts";

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

test("with faults and throttling on while users are listed in partitions, full and incremental syncs are still exact", async () => {
  const h = await startHarness({ size: "s", seed: 17, counts: PARTITIONED, faultRate: 0.1, throttle: true });
  try {
    const lists = () => h.emu.stats().byRoute["GET /users"] ?? 0;
    const before = lists();
    const full = await h.sync({ partitionUsersFrom: 1000 });
    assert.equal(full.run.status, "succeeded", JSON.stringify(full.streams));
    assert.ok(lists() - before >= 1 + UPN_PARTITIONS.length, "users were listed in partitions");
    await assertExact(h, "after the partitioned full sync under faults");
    await h.emu.mutate({ count: 20, seed: 1701 });
    const inc = await h.sync({ partitionUsersFrom: 1000 });
    assert.equal(inc.run.status, "succeeded", JSON.stringify(inc.streams));
    await assertExact(h, "after the incremental sync under faults");
  } finally {
    await h.close();
  }
});
