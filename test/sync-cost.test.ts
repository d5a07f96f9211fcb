/**
 * What a sync records it spent (per stream in `runs`, the client's line in progress and summary) is
 * what the emulator charged: the same requests, priced by the same documented costs.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { SyncSummary } from "../src/index.ts";
import { type Harness, startHarness } from "./sync-support.ts";

function recorded(summary: SyncSummary) {
  let requests = 0;
  let resourceUnits = 0;
  let batched = 0;
  for (const stats of Object.values(summary.run.stats)) {
    requests += stats.requests;
    resourceUnits += stats.resourceUnits;
  }
  for (const outcome of Object.values(summary.streams)) batched += outcome.cost.batchedRequests;
  return { requests, resourceUnits, batched };
}

describe("a sync's recorded cost", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ size: "s", seed: 5 });
  });
  after(() => h.close());

  async function syncAndCompare(full: boolean): Promise<void> {
    const charged = h.emu.stats();
    const summary = await h.sync({ full });
    assert.equal(summary.run.status, "succeeded", JSON.stringify(summary.streams));
    const now = h.emu.stats();
    const ru = now.ru - charged.ru;
    const own = recorded(summary);
    assert.equal(own.resourceUnits, ru, "the RU in runs are what the emulator charged");
    assert.equal(summary.client.resourceUnits, ru, "the client's RU (progress and summary line) too");
    assert.equal(summary.client.requests, own.requests, "round trips agree between client and runs");
    // The emulator counts each request a $batch carries as well as the envelope.
    assert.equal(own.requests + own.batched, now.requests - charged.requests);
  }

  it("equals the emulator's count on a full sync", () => syncAndCompare(true));

  it("equals the emulator's count on an incremental sync after changes", async () => {
    await h.emu.mutate({ count: 25, seed: 3 });
    await syncAndCompare(false);
  });
});
