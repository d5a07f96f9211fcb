import assert from "node:assert/strict";
import { test } from "node:test";
import { estimateCost } from "./cost.ts";
import { Limiter, tenantSizeFor } from "./limiter.ts";
import { backoffMs, parseRetryAfter } from "./retry-after.ts";

test("spends the read budget and waits for the bucket to refill", async () => {
  const limiter = new Limiter({ tenantSize: "small", concurrency: 100 });
  for (let i = 0; i < 100; i++) {
    await limiter.acquire(35, false); // 100 × 35 = the whole 3,500 RU budget, at once
    limiter.release();
  }
  const started = Date.now();
  await limiter.acquire(35, false); // 35 RU refill in 100 ms
  limiter.release();
  const waited = Date.now() - started;
  assert.ok(waited >= 90 && waited < 400, `waited ${waited} ms`);
});

test("caps concurrency and serves waiters in order", async () => {
  const limiter = new Limiter({ concurrency: 2 });
  await limiter.acquire(1, false);
  await limiter.acquire(1, false);
  const order: number[] = [];
  const third = limiter.acquire(1, false).then(() => order.push(3));
  const fourth = limiter.acquire(1, false).then(() => order.push(4));
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(order, []);
  limiter.release();
  await third;
  limiter.release();
  await fourth;
  assert.deepEqual(order, [3, 4]);
});

test("a pause (Retry-After) holds everyone; reported usage shrinks the budget", async () => {
  const limiter = new Limiter({ concurrency: 10 });
  limiter.pause(80);
  const started = Date.now();
  await limiter.acquire(1, false);
  limiter.release();
  assert.ok(Date.now() - started >= 75);
  // The service says 99% of the budget is used: the next sizeable request must wait for refill.
  limiter.observe(1, false, { "x-ms-throttle-limit-percentage": "99" });
  const t = Date.now();
  await limiter.acquire(70, false);
  limiter.release();
  assert.ok(Date.now() - t >= 90, "waited for refill");
});

test("an aborted waiter leaves the queue", async () => {
  const limiter = new Limiter({ concurrency: 1 });
  await limiter.acquire(1, false);
  const ac = new AbortController();
  const waiting = limiter.acquire(1, false, ac.signal);
  ac.abort(new Error("stop"));
  await assert.rejects(waiting, /stop/);
  limiter.release();
  await limiter.acquire(1, false);
});

test("Retry-After in seconds (with fractions) or as an HTTP date; full-jitter backoff", () => {
  assert.equal(parseRetryAfter("10"), 10_000);
  assert.equal(parseRetryAfter("2.128"), 2128);
  assert.equal(
    parseRetryAfter(new Date(Date.UTC(2030, 0, 1, 0, 0, 5)).toUTCString(), Date.UTC(2030, 0, 1)),
    5000,
  );
  assert.equal(parseRetryAfter("soon"), undefined);
  assert.equal(parseRetryAfter(undefined), undefined);
  assert.equal(
    backoffMs(3, () => 0.5),
    2000,
  );
  assert.equal(
    backoffMs(20, () => 0.999),
    29_970,
  );
});

test("request cost follows the documented table", () => {
  assert.equal(estimateCost("GET", "https://g/v1.0/users"), 2);
  assert.equal(estimateCost("GET", "https://g/v1.0/users?$select=id"), 1);
  assert.equal(estimateCost("GET", "https://g/v1.0/groups/1/members?$top=999"), 3);
  assert.equal(estimateCost("GET", "https://g/v1.0/groups/1/transitiveMembers?$expand=x"), 6);
  assert.equal(estimateCost("GET", "https://g/v1.0/subscribedSkus"), 3);
  assert.equal(estimateCost("GET", "https://g/v1.0/organization?$top=5"), 1);
  assert.equal(estimateCost("PATCH", "https://g/v1.0/users/1"), 1);
});

test("Graph's size classes: < 50 users small, 50–500 medium, > 500 large", () => {
  assert.deepEqual([0, 49, 50, 500, 501, 2000].map(tenantSizeFor), [
    "small",
    "small",
    "medium",
    "medium",
    "large",
    "large",
  ]);
});

test("auto starts small; resizing keeps what was spent and releases a waiter the bigger bucket covers", async () => {
  let now = 0;
  const limiter = new Limiter({ tenantSize: "auto", concurrency: 100, now: () => now });
  assert.equal(limiter.readBudget, 3500);
  await limiter.acquire(3000, false);
  limiter.release();
  let granted = false;
  const waiting = limiter.acquire(1000, false).then(() => {
    granted = true;
  });
  await new Promise((r) => setImmediate(r));
  assert.equal(granted, false, "500 RU left of 3,500: the waiter must wait");
  limiter.resize("large");
  assert.equal(limiter.readBudget, 8000);
  await waiting; // 8,000 − 3,000 spent leaves 5,000: no wait, though the clock never moved
  limiter.release();
  await limiter.acquire(4000, false);
  limiter.release();
  const late = limiter.acquire(1000, false);
  now += 1; // 0.8 RU refilled: still short
  await assert.rejects(Promise.race([late, new Promise((_, no) => setTimeout(no, 30))]));
  now += 10_000;
  limiter.resize("large"); // the same size again only wakes the queue
  await late;
  limiter.release();
});
