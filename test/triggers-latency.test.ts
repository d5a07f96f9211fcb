/**
 * Figures users rely on: an emulator change is delivered within the poll interval plus one second,
 * and an idle poll costs one request per delta stream (roles and SKUs, which Graph offers no delta
 * for, are re-read: a few requests whatever the tenant's size).
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { callbackSink, defineSubscription, runWatch, type TriggerEvent } from "../src/index.ts";
import { type Harness, startHarness } from "./sync-support.ts";
import { POLICY } from "./triggers-support.ts";

let h: Harness;
before(async () => {
  h = await startHarness({ size: "s", seed: 9 });
  await h.sync();
});
after(() => h.close());

test("a change is delivered within the interval + 1 s", async (t) => {
  const intervalMs = 500;
  const subscription = await defineSubscription(h.store, {
    id: "latency",
    types: ["*"],
    target: { kind: "callback" },
  });
  const arrivals: { at: number; event: TriggerEvent }[] = [];
  const controller = new AbortController();
  const watching = runWatch({
    store: h.store,
    sync: (observer) => h.sync({ observer }),
    intervalMs,
    subscriptions: [
      { subscription, sink: callbackSink((event) => arrivals.push({ at: Date.now(), event })) },
    ],
    policy: POLICY,
    signal: controller.signal,
  });
  const latencies: number[] = [];
  try {
    for (let i = 0; i < 4; i++) {
      await sleep(100 + ((i * 137) % intervalMs));
      const seen = arrivals.length;
      const changedAt = Date.now();
      await h.emu.mutate({ count: 1, seed: 900 + i });
      const deadline = changedAt + intervalMs + 1000;
      while (arrivals.length === seen && Date.now() < deadline + 2000) await sleep(10);
      const first = arrivals[seen];
      assert.ok(first, `change ${i} was never delivered`);
      latencies.push(first.at - changedAt);
      await sleep(intervalMs); // let the round's remaining events arrive
    }
  } finally {
    controller.abort();
    await watching;
  }
  t.diagnostic(`latency ms: ${latencies.join(", ")} (interval ${intervalMs} ms)`);
  for (const l of latencies) assert.ok(l <= intervalMs + 1000, `delivered after ${l} ms`);
});

test("an idle poll costs one request per delta stream (plus the reads Graph offers no delta for)", async (t) => {
  await h.sync();
  const before = (await h.emu.stats()) as { requests: number };
  const summary = await h.sync();
  const after = (await h.emu.stats()) as { requests: number };
  const perStream = Object.fromEntries(
    Object.entries(summary.run.stats)
      .filter(([stream]) => stream !== "graph-client")
      .map(([stream, s]) => [stream, s.requests]),
  );
  t.diagnostic(
    `idle poll requests per stream: ${JSON.stringify(perStream)}; emulator counted ${after.requests - before.requests} (a $batch counts each request it carries)`,
  );
  assert.equal(summary.totals.changes, 0);
  assert.equal(perStream["users"], 1, "users: one delta request");
  assert.equal(perStream["groups"], 1, "groups: one delta request");
  assert.equal(perStream["licenses"], 1, "subscribed SKUs: one list request");
  assert.ok((perStream["roles"] ?? 0) <= 3, "roles: definitions, assignments, eligibility");
  // No delta exists for app role assignments: one delta request plus a re-read of each app's assignments.
  let apps = 0;
  for await (const _ of h.store.query.resources({ kind: "app" })) apps++;
  assert.ok((perStream["apps"] ?? 0) <= 2 + apps, `apps (${apps} apps)`);
  assert.equal(
    after.requests - before.requests,
    Object.values(perStream).reduce((a, b) => a + b, 0),
  );
});
