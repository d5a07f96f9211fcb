import assert from "node:assert/strict";
import { test } from "node:test";
import { nextRun, parseSchedule } from "../config/schedule.ts";
import { createLocalJobs, type JobContext } from "./jobs.ts";
import { createMetrics } from "./metrics.ts";
import { startScheduler } from "./scheduler.ts";

/** A clock the test moves, and timers that never fire by themselves (the test calls tick). */
function fakeTime(start: string) {
  let t = new Date(start).getTime();
  return {
    now: () => new Date(t),
    advance(ms: number) {
      t += ms;
    },
    timers: { set: () => 0, clear: () => {} },
  };
}

/** Lets the scheduler's submits, which are async, settle. */
const settle = () => new Promise((r) => setImmediate(r));

/** Sync jobs that stay running until finished by the test. */
function fakeSyncs() {
  const running: (() => void)[] = [];
  const jobs = createLocalJobs({
    handlers: {
      sync: (_ctx: JobContext) =>
        new Promise((resolve) => {
          running.push(() => resolve({ status: "succeeded" }));
        }),
    },
  });
  return {
    jobs,
    finishAll: async () => {
      for (const f of running.splice(0)) f();
      await new Promise((r) => setImmediate(r));
    },
  };
}

test("a 2-second interval syncs again every time its slot comes", async () => {
  const clock = fakeTime("2026-01-01T00:00:00Z");
  const { jobs, finishAll } = fakeSyncs();
  const fired: string[] = [];
  const scheduler = startScheduler({
    jobs,
    entries: [{ connectionId: "c", schedule: parseSchedule("every 2s"), lastRunAt: undefined }],
    now: clock.now,
    timers: clock.timers,
    events: { fired: (_c, id) => fired.push(id) },
  });
  await settle();
  assert.equal(fired.length, 1, "a connection never synced runs at once");
  for (let i = 0; i < 5; i++) {
    await finishAll();
    clock.advance(2000);
    scheduler.tick();
    await settle();
  }
  assert.equal(fired.length, 6);
  assert.equal(new Set(fired).size, 6);
  scheduler.stop();
  await finishAll();
  await jobs.close(100);
});

test("a firing while the sync still runs starts nothing and is reported skipped", async () => {
  const clock = fakeTime("2026-01-01T00:00:00Z");
  const { jobs, finishAll } = fakeSyncs();
  const fired: string[] = [];
  const skipped: string[] = [];
  const scheduler = startScheduler({
    jobs,
    entries: [{ connectionId: "c", schedule: parseSchedule("every 2s"), lastRunAt: undefined }],
    now: clock.now,
    timers: clock.timers,
    events: { fired: (_c, id) => fired.push(id), skipped: (_c, id) => skipped.push(id) },
  });
  await settle();
  clock.advance(2000);
  scheduler.tick();
  await settle();
  clock.advance(2000);
  scheduler.tick();
  await settle();
  assert.equal(fired.length, 1);
  assert.deepEqual(skipped, [fired[0], fired[0]]);
  assert.equal((await jobs.list({ connectionId: "c" })).length, 1);
  scheduler.stop();
  await finishAll();
  await jobs.close(100);
});

test("after downtime over many missed slots, a schedule catches up once and then keeps its rhythm", async () => {
  const clock = fakeTime("2026-01-01T12:00:00Z");
  const { jobs, finishAll } = fakeSyncs();
  const fired: string[] = [];
  const scheduler = startScheduler({
    jobs,
    // The last run was ten hourly slots ago.
    entries: [
      { connectionId: "c", schedule: parseSchedule("every 1h"), lastRunAt: new Date("2026-01-01T02:00:00Z") },
    ],
    now: clock.now,
    timers: clock.timers,
    events: { fired: (_c, id) => fired.push(id) },
  });
  await settle();
  assert.equal(fired.length, 1);
  await finishAll();
  scheduler.tick();
  await settle();
  assert.equal(fired.length, 1, "the missed slots are not replayed");
  assert.deepEqual(scheduler.next("c"), new Date("2026-01-01T13:00:00Z"));
  scheduler.stop();
  await jobs.close(100);
});

test("a sync submitted 3 s after its slot records a schedule lag of 3 s for its connection", async () => {
  const clock = fakeTime("2026-01-01T12:00:00Z");
  const { jobs, finishAll } = fakeSyncs();
  const metrics = createMetrics();
  const scheduler = startScheduler({
    jobs,
    // Its next slot is 12:00:10.
    entries: [{ connectionId: "c", schedule: parseSchedule("every 10s"), lastRunAt: clock.now() }],
    now: clock.now,
    timers: clock.timers,
    events: { fired: (connection, _id, slot, at) => metrics.scheduleFired(connection, slot, at) },
  });
  clock.advance(13_000);
  scheduler.tick();
  await settle();
  const lag = await metrics.registry.getSingleMetric("entra_connector_schedule_lag_seconds")!.get();
  const value = (name: string) =>
    (lag.values as { metricName?: string; labels: Record<string, unknown>; value: number }[]).find(
      (v) => v.metricName === name && v.labels["connection"] === "c",
    )?.value;
  assert.equal(value("entra_connector_schedule_lag_seconds_count"), 1);
  assert.equal(value("entra_connector_schedule_lag_seconds_sum"), 3);
  scheduler.stop();
  await finishAll();
  await jobs.close(100);
});

test("cron schedules follow their time zone, and bad schedules name the field", () => {
  const paris = parseSchedule("0 9 * * *", "Europe/Paris");
  // 09:00 in Paris in winter is 08:00 UTC.
  assert.deepEqual(nextRun(paris, new Date("2026-01-10T00:00:00Z")), new Date("2026-01-10T08:00:00Z"));
  assert.throws(() => parseSchedule("every 0s"), /shorter than the minimum, 1s/);
  assert.throws(() => parseSchedule("every 30d"), /longer than the maximum, 24d/);
  assert.throws(() => parseSchedule("0 9 * * *", "Mars/Olympus"), /IANA time zone/);
  assert.throws(() => parseSchedule("whenever"), /cron expression/);
});

test("a schedule set at runtime fires from its next slot; a dropped one stops", async () => {
  const clock = fakeTime("2026-01-01T00:00:00Z");
  const { jobs, finishAll } = fakeSyncs();
  const fired: string[] = [];
  const scheduler = startScheduler({
    jobs,
    entries: [],
    now: clock.now,
    timers: clock.timers,
    events: { fired: (c) => fired.push(c) },
  });
  scheduler.set("added", parseSchedule("every 10s"), clock.now());
  await settle();
  assert.deepEqual(fired, [], "nothing until its first slot");
  assert.deepEqual(scheduler.next("added"), new Date("2026-01-01T00:00:10Z"));
  clock.advance(10_000);
  scheduler.tick();
  await settle();
  assert.deepEqual(fired, ["added"]);
  await finishAll();
  scheduler.set("added", undefined, undefined);
  assert.equal(scheduler.next("added"), undefined);
  clock.advance(60_000);
  scheduler.tick();
  await settle();
  assert.deepEqual(fired, ["added"], "a dropped schedule fires no more");
  scheduler.stop();
  await jobs.close(1000);
});

test("an entry's slot submits the job the caller names for its key, one live per key", async () => {
  const clock = fakeTime("2026-01-01T00:00:00Z");
  const started: Record<string, unknown>[] = [];
  const finish: (() => void)[] = [];
  const jobs = createLocalJobs({
    handlers: {
      mapping: ({ job }) =>
        new Promise((resolve) => {
          started.push({ connectionId: job.connectionId, ...job.input });
          finish.push(() => resolve({ status: "succeeded" }));
        }),
    },
  });
  const skipped: string[] = [];
  const scheduler = startScheduler({
    jobs,
    entries: ["c/assets", "c/hr"].map((key) => ({
      connectionId: key,
      schedule: parseSchedule("every 1m"),
      lastRunAt: new Date("2026-01-01T00:00:00Z"),
    })),
    now: clock.now,
    timers: clock.timers,
    job: (key) => ({
      kind: "mapping",
      connectionId: key.split("/")[0]!,
      input: { mapping: key.split("/")[1] },
      singleton: true,
      singletonKey: key,
    }),
    events: { skipped: (key) => skipped.push(key) },
  });
  clock.advance(60_000);
  scheduler.tick();
  await settle();
  assert.deepEqual(started, [
    { connectionId: "c", mapping: "assets" },
    { connectionId: "c", mapping: "hr" },
  ]);
  clock.advance(60_000);
  scheduler.tick();
  await settle();
  assert.deepEqual(skipped, ["c/assets", "c/hr"], "a slot while the run is live adds none");
  scheduler.stop();
  for (const f of finish) f();
  await jobs.close(100);
});
