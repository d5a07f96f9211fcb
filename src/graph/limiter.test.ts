import assert from "node:assert/strict";
import { test } from "node:test";
import { parseRetryAfter } from "../common/retry-after.ts";
import { batchCharge, type Charge, estimateCost, reportedUsage, requestCharge } from "./cost.ts";
import { Limiter, type SharedBudget, tenantSizeFor } from "./limiter.ts";

const read = (ru: number): Charge => ({ ru, writes: 0, bulk: false });

/** Whether `p` has settled once pending callbacks have run (the fake clock moves only when told). */
async function settled(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  void p.then(() => {
    done = true;
  });
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  return done;
}

test("spends the read budget and waits for the bucket to refill", async (t) => {
  t.mock.timers.enable({ apis: ["setTimeout", "Date"], now: 0 });
  const limiter = new Limiter({ tenantSize: "small", concurrency: 100, now: () => Date.now() });
  for (let i = 0; i < 100; i++) {
    await limiter.acquire(read(35)); // 100 × 35 = the whole 3,500 RU budget, at once
    limiter.release();
  }
  assert.equal(limiter.waits, 0, "nothing waited while the budget lasted");
  const next = limiter.acquire(read(35)); // 35 RU refill in 100 ms
  t.mock.timers.tick(99);
  assert.equal(await settled(next), false, "still short of 35 RU after 99 ms");
  t.mock.timers.tick(1);
  assert.equal(await settled(next), true, "granted once 100 ms have refilled 35 RU");
  limiter.release();
  assert.equal(limiter.waits, 1);
});

test("caps concurrency and serves waiters in order", async () => {
  const limiter = new Limiter({ concurrency: 2 });
  await limiter.acquire(read(1));
  await limiter.acquire(read(1));
  const order: number[] = [];
  const third = limiter.acquire(read(1)).then(() => order.push(3));
  const fourth = limiter.acquire(read(1)).then(() => order.push(4));
  assert.equal(await settled(third), false, "both slots are taken");
  assert.deepEqual(order, []);
  limiter.release();
  await third;
  limiter.release();
  await fourth;
  assert.deepEqual(order, [3, 4]);
});

test("a pause (Retry-After) holds everyone; reported usage shrinks the budget", async (t) => {
  t.mock.timers.enable({ apis: ["setTimeout", "Date"], now: 0 });
  const limiter = new Limiter({ concurrency: 10, now: () => Date.now() });
  limiter.pause(80);
  const paused = limiter.acquire(read(1));
  t.mock.timers.tick(79);
  assert.equal(await settled(paused), false, "held for the whole pause");
  t.mock.timers.tick(1);
  assert.equal(await settled(paused), true);
  limiter.release();
  // The service says 99% of the budget is used: the next sizeable request must wait for refill.
  limiter.observe(read(1), { ru: undefined, percentage: 99 });
  const sizeable = limiter.acquire(read(70)); // 35 RU left: 35 more refill in 100 ms
  t.mock.timers.tick(99);
  assert.equal(await settled(sizeable), false, "waits for the refill");
  t.mock.timers.tick(1);
  assert.equal(await settled(sizeable), true);
  limiter.release();
});

test("an aborted waiter leaves the queue", async () => {
  const limiter = new Limiter({ concurrency: 1 });
  await limiter.acquire(read(1));
  const ac = new AbortController();
  const waiting = limiter.acquire(read(1), ac.signal);
  ac.abort(new Error("stop"));
  await assert.rejects(waiting, /stop/);
  limiter.release();
  await limiter.acquire(read(1));
});

test("Retry-After in seconds (with fractions) or as an HTTP date", () => {
  assert.equal(parseRetryAfter("10"), 10_000);
  assert.equal(parseRetryAfter("2.128"), 2128);
  assert.equal(
    parseRetryAfter(new Date(Date.UTC(2030, 0, 1, 0, 0, 5)).toUTCString(), Date.UTC(2030, 0, 1)),
    5000,
  );
  assert.equal(parseRetryAfter("soon"), undefined);
  assert.equal(parseRetryAfter(undefined), undefined);
});

test("request cost follows the documented table", () => {
  assert.equal(estimateCost("GET", "https://g/v1.0/users"), 2);
  assert.equal(estimateCost("GET", "https://g/v1.0/users?$select=id"), 1);
  assert.equal(estimateCost("GET", "https://g/v1.0/groups/1/members?$top=999"), 3);
  assert.equal(estimateCost("GET", "https://g/v1.0/groups/1/transitiveMembers?$expand=x"), 6);
  assert.equal(estimateCost("GET", "https://g/v1.0/subscribedSkus"), 3);
  assert.equal(estimateCost("GET", "https://g/v1.0/organization?$top=5"), 1);
  assert.equal(estimateCost("PATCH", "https://g/v1.0/users/1"), 1);
  // A collection's delta costs what listing it costs; only the documented relationships cost more.
  assert.equal(estimateCost("GET", "https://g/v1.0/users/delta?$deltatoken=x"), 2);
  assert.equal(estimateCost("GET", "/applications/delta()"), 2);
  assert.equal(estimateCost("GET", "/applications/1"), 1);
  assert.equal(estimateCost("GET", "/groups/delta?$deltatoken=x"), 1);
  assert.equal(estimateCost("GET", "/servicePrincipals/1/owners"), 1);
  assert.equal(estimateCost("GET", "/directoryRoles/1/members"), 1);
  assert.equal(estimateCost("GET", "/servicePrincipals/1/appRoleAssignments"), 2);
  assert.equal(estimateCost("GET", "/users/1/transitiveMemberOf"), 2);
  assert.equal(estimateCost("GET", "/groups/1/members/microsoft.graph.user?$select=id"), 2);
  assert.equal(estimateCost("GET", "/groups/1/members/$count"), 1);
  assert.equal(estimateCost("GET", "/users/$count"), 1);
  assert.deepEqual(requestCharge("POST", "/directoryObjects/getByIds"), { ru: 3, writes: 0, bulk: false });
  assert.deepEqual(requestCharge("POST", "/users"), { ru: 1, writes: 1, bulk: false });
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
  await limiter.acquire(read(3000));
  limiter.release();
  let granted = false;
  const waiting = limiter.acquire(read(1000)).then(() => {
    granted = true;
  });
  await new Promise((r) => setImmediate(r));
  assert.equal(granted, false, "500 RU left of 3,500: the waiter must wait");
  limiter.resize("large");
  assert.equal(limiter.readBudget, 8000);
  await waiting; // 8,000 − 3,000 spent leaves 5,000: no wait, though the clock never moved
  limiter.release();
  await limiter.acquire(read(4000));
  limiter.release();
  const late = limiter.acquire(read(1000));
  now += 1; // 0.8 RU refilled: still short
  await assert.rejects(Promise.race([late, new Promise((_, no) => setTimeout(no, 30))]));
  now += 10_000;
  limiter.resize("large"); // the same size again only wakes the queue
  await late;
  limiter.release();
});

test("a $batch costs the sum of its inner requests; its inner answers say what was charged", () => {
  const members = Array.from({ length: 20 }, (_, i) => ({
    method: "GET",
    url: `/groups/${i}/members?$select=id&$top=999`,
  }));
  assert.deepEqual(batchCharge(members), { ru: 40, writes: 0, bulk: true });
  assert.deepEqual(
    batchCharge([
      { method: "GET", url: "/users?$select=id" },
      { method: "PATCH", url: "/users/1" },
      { method: "POST", url: "/groups/1/members/$ref" },
    ]),
    { ru: 3, writes: 2, bulk: true },
  );
  const answer = (status: number, ru: string, extra: Record<string, string> = {}) => ({
    status,
    headers: { "x-ms-resource-unit": ru, ...extra },
  });
  // The envelope's own header (1) is not the cost; a throttled inner request was not charged.
  assert.deepEqual(
    reportedUsage(
      { "x-ms-resource-unit": "1" },
      {
        responses: [
          answer(200, "2"),
          answer(200, "3", { "X-Ms-Throttle-Limit-Percentage": "0.9" }),
          answer(429, "2"),
        ],
      },
    ),
    { ru: 5, percentage: 0.9 },
  );
  assert.deepEqual(reportedUsage({}, { responses: [{ status: 200, headers: {} }] }).ru, undefined);
  assert.deepEqual(reportedUsage({ "x-ms-resource-unit": "2" }, { value: [] }), {
    ru: 2,
    percentage: undefined,
  });
});

test("batches wait while the budget is low; single requests spend the last tenth without queuing behind them", async () => {
  let now = 0;
  const limiter = new Limiter({ tenantSize: "small", concurrency: 100, now: () => now });
  const bulk = (ru: number): Charge => ({ ru, writes: 0, bulk: true });
  for (let i = 0; i < 78; i++) {
    await limiter.acquire(bulk(40)); // 3,120 of 3,500 RU: 380 left, 30 above the 350 reserve
    limiter.release();
  }
  const order: string[] = [];
  const batch = limiter.acquire(bulk(40)).then(() => order.push("batch"));
  const page = limiter.acquire(read(1)).then(() => order.push("page"));
  await page;
  assert.deepEqual(order, ["page"], "the page went first although it came later");
  limiter.release();
  now += 150; // 52.5 RU refilled: 431.5 left, 81.5 above the reserve
  limiter.resize("small"); // wakes the queue at the fake time
  await batch;
  limiter.release();
  assert.deepEqual(order, ["page", "batch"]);
});

test("write units: one per write, a batch's writes all counted", async () => {
  let now = 0;
  const limiter = new Limiter({ concurrency: 100, now: () => now });
  await limiter.acquire({ ru: 20, writes: 2999, bulk: true });
  limiter.release();
  let granted = false;
  const next = limiter.acquire({ ru: 2, writes: 2, bulk: true }).then(() => {
    granted = true;
  });
  await new Promise((r) => setImmediate(r));
  assert.equal(granted, false, "one write unit left: two must wait");
  now += 50; // writes refill 3,000 per 150 s = 1 per 50 ms
  limiter.resize("small");
  await next;
  limiter.release();
});

/** The arithmetic of the PostgreSQL row (src/service/shared-budget.ts), in memory, on the mocked clock. */
function memoryBudget(): SharedBudget & { takes: number } {
  const rows = new Map<string, { tokens: number; at: number }>();
  return {
    takes: 0,
    async take(key, amount, { burst, perMs }) {
      this.takes++;
      const now = Date.now();
      const row = rows.get(key) ?? { tokens: burst, at: now };
      row.tokens = Math.min(burst, row.tokens + (now - row.at) * perMs) - amount;
      row.at = now;
      rows.set(key, row);
      return row.tokens >= 0 ? 0 : Math.ceil(-row.tokens / perMs);
    },
  };
}

test("limiters sharing a budget spend it once between them, a slice per take", async (t) => {
  t.mock.timers.enable({ apis: ["setTimeout", "Date"], now: 0 });
  const budget = memoryBudget();
  const shared = { budget, key: "app@tenant" };
  const limiters = [0, 1].map(
    () => new Limiter({ tenantSize: "small", concurrency: 1000, now: () => Date.now(), shared }),
  );
  let granted = 0;
  const all = limiters.flatMap((l) =>
    Array.from({ length: 100 }, () =>
      l.acquire(read(35)).then(() => {
        granted += 35;
        l.release();
      }),
    ),
  );
  const quiet = async () => {
    for (let i = 0; i < 200; i++) await new Promise((r) => setImmediate(r));
  };
  await quiet();
  // Together they asked for 7,000 RU of a 3,500 RU bucket: only the bucket (less what leases may hold) went at once.
  assert.ok(granted <= 3500, `${granted} RU spent at once`);
  assert.ok(granted >= 3500 - 4 * 175, `${granted} RU spent at once: the budget was left unused`);
  assert.ok(budget.takes <= 3500 / 175 + 2, `${budget.takes} takes for 3,500 RU: one per slice`);
  t.mock.timers.tick(5_000); // half the window refills half the bucket
  await quiet();
  assert.ok(granted <= 3500 + 1750, `${granted} RU spent after 5 s`);
  for (let s = 0; s < 10; s++) {
    t.mock.timers.tick(1_000);
    await quiet();
  }
  await Promise.all(all);
  assert.equal(granted, 7000);
});
