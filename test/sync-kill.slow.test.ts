/**
 * The crash test: the CLI's `sync` runs as a child process against the emulator and is SIGKILLed at
 * random moments, again and again; a final run completes. The store must then equal the emulator's
 * snapshot exactly, and nothing may have been emitted twice; into each store adapter.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { random, runCliChild } from "./support/child-process.ts";
import { comparison, duplicateCreations, type Harness, STORE_KINDS, startHarness } from "./sync-support.ts";

/** Runs `sync` in a child; kills it after `killAfterMs` unless it ends first. Resolves with how it ended. */
function runCli(
  h: Harness,
  killAfterMs: number | undefined,
): Promise<{ killed: boolean; code: number | null }> {
  return runCliChild(["sync", "--json"], h.env, killAfterMs);
}

async function assertExact(h: Harness, label: string): Promise<void> {
  const compared = await comparison(h.store, (await h.emu.snapshot()) as Record<string, unknown>);
  for (const [kind, { actual, expected }] of Object.entries(compared)) {
    assert.deepEqual(actual, expected, `${label}: ${kind} differ from the emulator's snapshot`);
  }
}

for (const storeKind of STORE_KINDS)
  test(`${storeKind}: sync killed at random points 22 times still ends identical to an uninterrupted run`, async () => {
    const h = await startHarness({ size: "m", seed: 11 }, storeKind);
    const rnd = random(11);
    try {
      // Graph-like latency keeps each run long enough for the kills to land in the middle of it.
      await h.emu.setFaults({ latency: "graph" });
      // Phase 1: the first full load, killed again and again until a run gets to finish it.
      let loadKills = 0;
      for (let attempt = 0; attempt < 40; attempt++) {
        const { killed } = await runCli(h, 300 + Math.floor(rnd() * 1500));
        if (!killed) break;
        loadKills++;
      }
      assert.ok(loadKills >= 5, `only ${loadKills} runs of the full load were killed mid-way`);
      await runCli(h, undefined);
      await assertExact(h, "after the killed full load");
      assert.deepEqual(
        await duplicateCreations(h.store),
        [],
        "no object or relationship was reported created twice",
      );
      // Phase 2: incremental runs over changes, killed again and again.
      let kills = loadKills;
      for (let attempt = 0; kills < 22 && attempt < 60; attempt++) {
        if (attempt % 2 === 0) await h.emu.mutate({ count: 40, seed: 1100 + attempt });
        if ((await runCli(h, 300 + Math.floor(rnd() * 1200))).killed) kills++;
      }
      assert.ok(kills >= 22, `only ${kills} runs were killed mid-way`);
      await runCli(h, undefined);
      await assertExact(h, "after the killed incremental runs");
    } finally {
      await h.close();
    }
  });
