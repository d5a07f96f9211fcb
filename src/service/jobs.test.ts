import assert from "node:assert/strict";
import { test } from "node:test";
import { createLocalJobs, type JobContext } from "./jobs.ts";

/** A handler that runs until released or aborted, as a sync runs until its last page or a cancel. */
function gate() {
  const started: JobContext[] = [];
  let release!: () => void;
  const released = new Promise<void>((r) => {
    release = r;
  });
  const handler = async (ctx: JobContext) => {
    started.push(ctx);
    await Promise.race([
      released,
      new Promise<void>((r) => ctx.signal.addEventListener("abort", () => r(), { once: true })),
    ]);
    return { status: ctx.signal.aborted ? "cancelled" : "succeeded" };
  };
  return { started, release, handler };
}

test("a singleton job answers the live one instead of starting a second for the same connection", async () => {
  const g = gate();
  const jobs = createLocalJobs({ handlers: { sync: g.handler } });
  const first = await jobs.submit({ kind: "sync", connectionId: "a", singleton: true });
  const second = await jobs.submit({ kind: "sync", connectionId: "a", singleton: true });
  assert.equal(second.conflict?.id, first.job.id);
  const other = await jobs.submit({ kind: "sync", connectionId: "b", singleton: true });
  assert.equal(other.conflict, undefined, "another connection syncs alongside");
  g.release();
  await new Promise((r) => setImmediate(r));
  await jobs.close(1000);
  assert.equal((await jobs.get(first.job.id))?.status, "succeeded");
});

test("cancel stops a running job and removes a queued one", async () => {
  const g = gate();
  const jobs = createLocalJobs({ handlers: { sync: g.handler }, concurrency: 1 });
  const running = (await jobs.submit({ kind: "sync", connectionId: "a" })).job;
  const queued = (await jobs.submit({ kind: "sync", connectionId: "b" })).job;
  assert.equal(queued.status, "queued");
  assert.ok(await jobs.cancel(queued.id));
  assert.equal((await jobs.get(queued.id))?.status, "cancelled");
  assert.ok(await jobs.cancel(running.id));
  await new Promise((r) => setImmediate(r));
  await jobs.close(1000);
  assert.equal((await jobs.get(running.id))?.status, "cancelled");
  assert.equal(g.started.length, 1, "the cancelled queued job never started");
});

test("a failing handler leaves a failed job with the typed error", async () => {
  let ended!: () => void;
  const done = new Promise<void>((r) => {
    ended = r;
  });
  const jobs = createLocalJobs({
    handlers: {
      sync: async () => {
        throw new Error("boom");
      },
    },
    onEnd: () => ended(),
  });
  const { job } = await jobs.submit({ kind: "sync", connectionId: "a" });
  await done;
  assert.equal((await jobs.get(job.id))?.status, "failed");
  assert.equal((await jobs.get(job.id))?.error?.code, "INTERNAL");
});

test("close asks running jobs to stop and waits for them", async () => {
  const g = gate();
  const jobs = createLocalJobs({ handlers: { sync: g.handler } });
  const { job } = await jobs.submit({ kind: "sync", connectionId: "a" });
  await jobs.close(5000);
  assert.equal((await jobs.get(job.id))?.status, "cancelled");
});
