/**
 * One watcher per subscription: the store's lease (grant, renew, expire, take over, release) and two
 * watchers in one process — the second is refused with the holder named, waits when asked, and a
 * watcher whose lease was taken over stops instead of delivering alongside the new holder.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { hostname } from "node:os";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { isConnectorError } from "../src/errors.ts";
import { callbackSink, defineSubscription, runWatch, subscribe, type TriggerEvent } from "../src/index.ts";
import { type StoreAdapter, storeAdapters, storeWithRun, user } from "../src/store/test-support.ts";
import type { Store } from "../src/store/types.ts";
import { markLoaded } from "./triggers-support.ts";

const POLICY = { retry: { baseMs: 10, maxMs: 50 }, deadLetterAfterMs: 60_000 };

async function baselineStore(adapter?: StoreAdapter): Promise<Store> {
  const { store, runId } = await storeWithRun(adapter);
  await store.sync.applyPage({ runId, stream: "users", upserts: [user("u0")] });
  await markLoaded(store, runId);
  await store.runs.finish(runId, { status: "succeeded" });
  return store;
}

/** Polls until `done()` holds; the bound only keeps a broken run from hanging (the asserts follow). */
async function until(done: () => boolean, boundMs = 10_000): Promise<void> {
  for (const start = Date.now(); !done() && Date.now() - start < boundMs; ) await sleep(10);
}

/** The pid of a process that has already exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ["-e", ""]);
  return child.pid as number;
}

for (const adapter of storeAdapters(import.meta.url)) {
  describe(`subscription leases in the store (${adapter.name})`, () => {
    it("grant when free, renew for the holder, refuse others until expiry, hand over on release", async () => {
      const store = await baselineStore(adapter);
      const l = store.subscriptions;
      const t0 = Date.UTC(2030, 0, 1);
      const at = (now: number, owner: string, extra: { ttlMs?: number; takeOverFrom?: string } = {}) =>
        l.lease({ subscription: "s", owner, ttlMs: 80, now, ...extra });
      const a = await at(t0, "A");
      assert.equal(a.owner, "A");
      assert.equal(a.expiresAt, t0 + 80);
      assert.equal(a.acquiredAt, new Date(t0).toISOString());
      assert.equal((await at(t0 + 10, "B")).owner, "A", "held");
      const renewed = await at(t0 + 20, "A", { ttlMs: 5000 });
      assert.equal(renewed.acquiredAt, a.acquiredAt, "a renewal keeps the acquisition time");
      assert.equal(renewed.expiresAt, t0 + 5020);
      assert.equal(
        (await at(t0 + 30, "B", { takeOverFrom: "C" })).owner,
        "A",
        "taking over from someone else than the holder does nothing",
      );
      assert.equal((await at(t0 + 30, "B", { takeOverFrom: "A" })).owner, "B");
      await l.releaseLease("s", "A");
      const b = await at(t0 + 40, "A");
      assert.equal(b.owner, "B", "not A's to release");
      assert.equal(b.expiresAt, t0 + 110);
      assert.equal((await at(t0 + 109, "A")).owner, "B", "still held 1 ms before expiry");
      assert.equal((await at(t0 + 110, "A")).owner, "A", "expired: taken");
      await l.releaseLease("s", "A");
      assert.equal((await at(t0 + 120, "B")).owner, "B", "released: taken");
      await store.close();
    });
  });
}

describe("two watchers on one subscription", () => {
  it("the second is refused with SUBSCRIPTION_LEASED naming the first; after it stops, the next one starts", async () => {
    const store = await baselineStore();
    const got: TriggerEvent[] = [];
    const first = await subscribe({ store, id: "app", intervalMs: 20 }, (e) => void got.push(e));
    await assert.rejects(
      subscribe({ store, id: "app", intervalMs: 20 }, () => {}),
      (err: unknown) =>
        isConnectorError(err, "SUBSCRIPTION_LEASED") &&
        err.message.includes(`process ${process.pid} on host ${hostname()}`) &&
        /--wait/.test(err.fix ?? ""),
    );
    // Another subscription id is another lease.
    const other = await subscribe({ store, id: "other", intervalMs: 20 }, () => {});
    await other.stop();
    await first.stop();
    const next = await subscribe({ store, id: "app", intervalMs: 20 }, () => {});
    await next.stop();
    await store.close();
  });

  it("with wait, the second starts as soon as the first stops, and delivers what came meanwhile once", async () => {
    const store = await baselineStore();
    const firstGot: string[] = [];
    const first = await subscribe({ store, id: "app", intervalMs: 20 }, (e) => {
      firstGot.push(e.id);
    });
    const subscription = await defineSubscription(store, {
      id: "app",
      types: ["*"],
      target: { kind: "callback" },
    });
    const secondGot: string[] = [];
    let started = false;
    const stop = new AbortController();
    const second = runWatch({
      store,
      intervalMs: 20,
      subscriptions: [{ subscription, sink: callbackSink((e) => void secondGot.push(e.id)) }],
      policy: POLICY,
      lease: { wait: true, ttlMs: 300 },
      report: {
        started: () => {
          started = true;
        },
      },
      signal: stop.signal,
    });
    const run = await store.runs.start({ kind: "incremental", tenantId: "t" });
    await store.sync.applyPage({ runId: run.id, stream: "users", upserts: [user("u1")] });
    await store.runs.finish(run.id, { status: "succeeded" });
    await until(() => firstGot.length > 0);
    assert.equal(started, false, "the second waits while the first runs");
    await first.stop();
    await until(() => started);
    assert.equal(started, true, "the second took over once the first released its lease");
    const run2 = await store.runs.start({ kind: "incremental", tenantId: "t" });
    await store.sync.applyPage({ runId: run2.id, stream: "users", upserts: [user("u2")] });
    await store.runs.finish(run2.id, { status: "succeeded" });
    await until(() => secondGot.length > 0);
    stop.abort();
    await second;
    assert.equal(firstGot.length, 1);
    assert.equal(secondGot.length, 1);
    assert.notEqual(firstGot[0], secondGot[0], "each event was delivered by one watcher only");
    await store.close();
  });

  it("a watcher whose lease was taken over stops with SUBSCRIPTION_LEASE_LOST", async () => {
    const store = await baselineStore();
    const subscription = await defineSubscription(store, {
      id: "app",
      types: ["*"],
      target: { kind: "callback" },
    });
    let owner = "";
    const watching = runWatch({
      store,
      intervalMs: 20,
      subscriptions: [{ subscription, sink: callbackSink(() => {}) }],
      policy: POLICY,
      lease: { ttlMs: 90 },
      report: {
        started: (o) => {
          owner = o;
        },
      },
    });
    await until(() => owner !== "");
    const taken = await store.subscriptions.lease({
      subscription: "app",
      owner: "operator@elsewhere#00000001",
      ttlMs: 60_000,
      takeOverFrom: owner,
    });
    assert.equal(taken.owner, "operator@elsewhere#00000001");
    await assert.rejects(
      watching,
      (err: unknown) =>
        isConnectorError(err, "SUBSCRIPTION_LEASE_LOST") && err.message.includes("operator@elsewhere"),
    );
    await store.close();
  });

  it("a holder killed on this host is taken over at once; a live or remote one is not", async () => {
    const store = await baselineStore();
    const dead = `${deadPid()}@${hostname()}#0000dead`;
    await store.subscriptions.lease({ subscription: "app", owner: dead, ttlMs: 60_000 });
    const sub = await subscribe({ store, id: "app", intervalMs: 20 }, () => {});
    await sub.stop();
    const remote = `${deadPid()}@another-host.example#0000beef`;
    await store.subscriptions.lease({ subscription: "app", owner: remote, ttlMs: 60_000 });
    await assert.rejects(
      subscribe({ store, id: "app", intervalMs: 20 }, () => {}),
      (err: unknown) => isConnectorError(err, "SUBSCRIPTION_LEASED") && err.message.includes("another-host"),
    );
    await store.close();
  });
});
