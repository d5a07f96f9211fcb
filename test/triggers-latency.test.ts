/**
 * Figures users rely on: an emulator change is delivered within the poll interval plus one second,
 * and an idle poll costs one HTTP request per delta stream (users, groups, apps). What Graph offers no
 * delta for is re-read in as few round trips as it allows: subscribed SKUs in one request, roles'
 * three collections in one `$batch`, and each app's assignments twenty to a `$batch`.
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

test("an idle poll costs one HTTP request per delta stream, and one $batch per 20 reads Graph offers no delta for", async (t) => {
  await h.sync();
  const before = (await h.emu.stats()) as { requests: number };
  const summary = await h.sync();
  const after = (await h.emu.stats()) as { requests: number };
  const cost = (stream: string) => {
    const c = summary.streams[stream]?.cost;
    assert.ok(c, `${stream} ran`);
    return { http: c.requests, batched: c.batchedRequests };
  };
  let apps = 0;
  for await (const _ of h.store.query.resources({ kind: "app" })) apps++;
  const figures = Object.fromEntries(
    ["users", "groups", "licenses", "roles", "apps"].map((s) => [s, cost(s)]),
  );
  t.diagnostic(
    `idle poll per stream (HTTP round trips / requests carried in $batch): ${JSON.stringify(figures)}; ${apps} apps; emulator counted ${after.requests - before.requests} (an envelope and each request it carries)`,
  );
  assert.equal(summary.totals.changes, 0);
  assert.deepEqual(cost("users"), { http: 1, batched: 0 }, "users: one delta request");
  assert.deepEqual(cost("groups"), { http: 1, batched: 0 }, "groups: one delta request");
  assert.deepEqual(cost("licenses"), { http: 1, batched: 0 }, "subscribed SKUs: one list request");
  // No delta for roles: definitions, assignments and eligibility read together in one $batch.
  assert.deepEqual(cost("roles"), { http: 1, batched: 3 }, "roles: one $batch of three reads");
  // No delta for app role assignments: one delta request, then every app's assignments 20 to a $batch.
  assert.ok(apps > 0);
  assert.deepEqual(cost("apps"), { http: 1 + Math.ceil(apps / 20), batched: apps }, `apps (${apps} apps)`);
  // The run record keeps HTTP round trips; the emulator counts each envelope and each request it carries.
  for (const [stream, f] of Object.entries(figures)) {
    assert.equal(summary.run.stats[stream]?.requests, f.http, `${stream}: run record`);
  }
  const sent = Object.values(figures).reduce((n, f) => n + f.http + f.batched, 0);
  assert.equal(after.requests - before.requests, sent);
});
