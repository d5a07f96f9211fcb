/**
 * Schedules with several API replicas on one PostgreSQL queue: every replica runs the same schedules,
 * and each slot still submits one job. Clocks are injected (one replica's a little behind), so slots
 * come when the test says.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, test } from "node:test";
import pg from "pg";
import { parseSchedule, type Schedule } from "../src/config/schedule.ts";
import type { Jobs } from "../src/service/jobs.ts";
import { createQueueJobs } from "../src/service/queue-jobs.ts";
import { type Scheduler, startScheduler } from "../src/service/scheduler.ts";

const POSTGRES = process.env["ENTRA_TEST_POSTGRES"] ?? "postgres://postgres@127.0.0.1:5432/test";
const SCHEMA = `entra_slots_test_${randomBytes(4).toString("hex")}`;
const opened: Jobs[] = [];

after(async () => {
  await Promise.all(opened.map((j) => j.close(1000)));
  const client = new pg.Client({ connectionString: POSTGRES });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
  await client.end();
});

async function replica(): Promise<Jobs> {
  // An API replica: it submits and reads, it works nothing (so every job stays to be counted).
  const jobs = await createQueueJobs({
    connectionString: POSTGRES,
    schema: SCHEMA,
    handlers: {},
    concurrency: 0,
  });
  opened.push(jobs);
  return jobs;
}

async function until(ok: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Two schedulers for one schedule, each on its own jobs instance, through `slots` slots. Answers the
 * jobs queued for the schedule's key. The job is no singleton, so only the slot claim can hold a
 * second one back.
 */
async function runReplicas(jobsOf: [Jobs, Jobs], schedule: Schedule, start: string, slots: number) {
  const kind = `k${randomBytes(4).toString("hex")}`;
  const key = randomBytes(4).toString("hex");
  let t = new Date(start).getTime();
  const skewMs = [0, -250];
  let settled = 0;
  const schedulers: Scheduler[] = jobsOf.map((jobs, i) =>
    startScheduler({
      jobs,
      entries: [{ connectionId: key, schedule, lastRunAt: new Date(t - 1) }],
      now: () => new Date(t + skewMs[i]!),
      timers: { set: () => 0, clear: () => {} },
      job: (connectionId) => ({ kind, connectionId, input: {} }),
      events: {
        fired: () => settled++,
        elsewhere: () => settled++,
        failed: (_c, err) => {
          throw err;
        },
      },
    }),
  );
  for (let slot = 0; slot < slots; slot++) {
    const next = schedulers[0]!.next(key)!.getTime();
    t = next + 500;
    settled = 0;
    // Both at once, in turns first: the slot goes to whichever claims it first.
    const order = slot % 2 === 0 ? schedulers : [...schedulers].reverse();
    for (const s of order) s.tick();
    await until(() => settled === 2, `both replicas to settle slot ${slot}`);
  }
  for (const s of schedulers) s.stop();
  return jobsOf[0].list({ connectionId: key, kind });
}

test("two API replicas on one queue submit one job per interval slot", async () => {
  const jobs: [Jobs, Jobs] = [await replica(), await replica()];
  const queued = await runReplicas(jobs, parseSchedule("every 15m"), "2026-03-01T00:00:00Z", 5);
  assert.equal(queued.length, 5);
});

test("two API replicas submit one job per cron slot in the schedule's time zone, across a DST change", async () => {
  const jobs: [Jobs, Jobs] = [await replica(), await replica()];
  // Paris moves to summer time at 02:00 on 29 March 2026: hourly slots go on, one job each.
  const queued = await runReplicas(
    jobs,
    parseSchedule("0 * * * *", "Europe/Paris"),
    "2026-03-28T22:30:00Z",
    6,
  );
  assert.equal(queued.length, 6);
});

test("without the slot claim the same two replicas submit a job each per slot", async () => {
  const [a, b] = [await replica(), await replica()];
  const unclaimed = (jobs: Jobs): Jobs => ({ ...jobs, claimSlot: undefined });
  const queued = await runReplicas(
    [unclaimed(a), unclaimed(b)],
    parseSchedule("every 15m"),
    "2026-03-01T00:00:00Z",
    3,
  );
  assert.equal(queued.length, 6);
});

test("a replica started later does not fire again the slot another replica fired", async () => {
  const [a, b] = [await replica(), await replica()];
  const kind = `k${randomBytes(4).toString("hex")}`;
  const key = randomBytes(4).toString("hex");
  const schedule = parseSchedule("every 1h");
  let t = new Date("2026-03-01T00:00:00Z").getTime();
  const outcomes: string[] = [];
  const start = (jobs: Jobs) =>
    // Never run (no last run in the store): each replica finds the schedule due when it starts.
    startScheduler({
      jobs,
      entries: [{ connectionId: key, schedule, lastRunAt: undefined }],
      now: () => new Date(t),
      timers: { set: () => 0, clear: () => {} },
      job: (connectionId) => ({ kind, connectionId, input: {} }),
      events: { fired: () => outcomes.push("fired"), elsewhere: () => outcomes.push("elsewhere") },
    });
  const first = start(a);
  await until(() => outcomes.length === 1, "the first replica's firing");
  t += 10 * 60_000;
  const second = start(b);
  await until(() => outcomes.length === 2, "the second replica's start");
  assert.deepEqual(outcomes, ["fired", "elsewhere"]);
  assert.equal((await a.list({ connectionId: key, kind })).length, 1);
  first.stop();
  second.stop();
});
