import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type Emulator, startEmulator } from "@entra-connector/graph-emulator";
import type { BatchRequest } from "../src/graph/types.ts";
import { createConnection, loadConfig } from "../src/index.ts";
import { connectionEnv } from "./connection-support.ts";

/** A burst of `batches` $batch calls of twenty member reads (2 RU each), all in flight at once. */
async function burst(emu: Emulator, batches: number) {
  const env = connectionEnv(emu, { ENTRA_MAX_RETRIES: "8", ENTRA_CONCURRENCY: "16" });
  const conn = createConnection(loadConfig({ env }), { env, persistTokens: false });
  const { value } = await conn.graph.get<{ value: { id: string }[] }>("/groups?$select=id");
  const envelope = (b: number): BatchRequest[] =>
    Array.from({ length: 20 }, (_, i) => ({
      id: String(i),
      method: "GET",
      url: `/groups/${value[(b + i) % value.length]?.id}/members?$select=id&$top=999`,
    }));
  const started = Date.now();
  const results = await Promise.allSettled(
    Array.from({ length: batches }, (_, b) => conn.graph.batch(envelope(b))),
  );
  const elapsed = Date.now() - started;
  const stats = conn.graph.stats();
  await conn.close();
  const rejected = results.filter((r) => r.status === "rejected");
  assert.equal(rejected.length, 0, String((rejected[0] as PromiseRejectedResult | undefined)?.reason));
  const statuses = results.flatMap((r) => (r.status === "fulfilled" ? r.value.map((a) => a.status) : []));
  assert.equal(statuses.length, batches * 20);
  assert.deepEqual(
    statuses.filter((s) => s !== 200),
    [],
    "every inner read succeeded",
  );
  return { elapsed, stats };
}

describe("bursts of $batch calls under Graph's throttling", () => {
  let emu: Emulator;
  before(async () => {
    // 40 users: the small tenant's 3,500 RU per 10 s, which the client learns by counting them.
    emu = await startEmulator({ port: 0, size: "s", seed: 6, throttle: true });
  });
  after(() => emu.close());

  test("the limiter charges each batch its inner reads, so a burst past the budget is never throttled", async () => {
    const before = await emu.stats();
    // 100 × 20 × 2 RU = 4,000 RU: 500 over the budget, which refills at 350 RU/s.
    const { elapsed, stats } = await burst(emu, 100);
    const after = await emu.stats();
    assert.equal(after.throttled - before.throttled, 0, "Graph never answered 429");
    assert.equal(stats.throttled, 0);
    const minimumMs = ((4000 + 3 - 3500) / 3500) * 10_000;
    assert.ok(elapsed >= minimumMs - 200, `took ${elapsed} ms: the limiter waited for the refill`);
  });
});

describe("bursts of $batch calls when Graph allows less than documented", () => {
  let emu: Emulator;
  const BUDGET = 1200;
  before(async () => {
    emu = await startEmulator({ port: 0, size: "s", seed: 7, throttle: { readBudget: BUDGET } });
  });
  after(() => emu.close());

  test("inner 429s are retried after their Retry-After, pausing everyone, with zero failures", async () => {
    // 40 × 40 RU = 1,600 RU against a 1,200 RU budget refilling at 120 RU/s.
    const before = await emu.stats();
    const { stats } = await burst(emu, 40);
    const after = await emu.stats();
    assert.ok(stats.throttled > 0, "the burst was throttled");
    assert.equal(stats.throttled, after.throttled - before.throttled, "every inner 429 was seen and retried");
  });
});
