/**
 * Trigger latency: how long after a change in the tenant a `watch` polling every 500 ms delivers its
 * first event, over a number of trials (each change made at a different point of the poll cycle).
 * The emulator runs in-process; app-assignment changes are skipped, as `watch` re-reads those only
 * every `--app-assignments-every`. Exits 1 if a change took longer than the interval + 1 s.
 *
 *   npx node bench/triggers-latency.ts [trials]
 */
import { setTimeout as sleep } from "node:timers/promises";
import { callbackSink, defineSubscription, runWatch, type TriggerEvent } from "../src/index.ts";
import { startHarness } from "../test/sync-support.ts";
import { POLICY, syncWith } from "../test/triggers-support.ts";

const TRIALS = Number(process.argv[2] ?? 24);
const INTERVAL_MS = 500;
/** What `watch` passes by default: app assignments re-read at most every 10 minutes. */
const WATCH = { appAssignmentsEveryMs: 600_000 };

const h = await startHarness({ size: "s", seed: 9 });
const latencies: number[] = [];
try {
  await h.sync();
  const subscription = await defineSubscription(h.store, {
    id: "latency",
    types: ["*"],
    target: { kind: "callback" },
  });
  const arrivals: { at: number; event: TriggerEvent }[] = [];
  const controller = new AbortController();
  const watching = runWatch({
    store: h.store,
    sync: (observer) => syncWith(h, WATCH, observer),
    intervalMs: INTERVAL_MS,
    subscriptions: [
      { subscription, sink: callbackSink((event) => arrivals.push({ at: Date.now(), event })) },
    ],
    policy: POLICY,
    signal: controller.signal,
  });
  try {
    for (let seed = 900; latencies.length < TRIALS; seed++) {
      await sleep(100 + ((seed * 137) % INTERVAL_MS));
      const seen = arrivals.length;
      const changedAt = Date.now();
      const [change] = await h.emu.mutate({ count: 1, seed });
      if (!change) throw new Error(`seed ${seed} made no change`);
      if (change.op.endsWith("AppRoleAssignment")) continue;
      const giveUpAt = changedAt + 10 * (INTERVAL_MS + 1000);
      while (arrivals.length === seen && Date.now() < giveUpAt) await sleep(10);
      const first = arrivals[seen];
      if (!first) throw new Error(`${change.op} (seed ${seed}) was never delivered`);
      latencies.push(first.at - changedAt);
      await sleep(INTERVAL_MS); // let the round's remaining events arrive
    }
  } finally {
    controller.abort();
    await watching;
  }
} finally {
  await h.close();
}
const sorted = [...latencies].sort((a, b) => a - b);
const late = latencies.filter((l) => l > INTERVAL_MS + 1000);
console.log(
  `interval ${INTERVAL_MS} ms, ${latencies.length} trials: min ${sorted[0]} ms, median ${sorted[Math.floor(sorted.length / 2)]} ms, max ${sorted.at(-1)} ms`,
);
console.log(`latencies ms: ${latencies.join(", ")}`);
if (late.length > 0) {
  console.error(`${late.length} change(s) took longer than the interval + 1 s`);
  process.exitCode = 1;
}
