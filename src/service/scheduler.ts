/**
 * Fires each connection's scheduled sync through the job interface. A firing while the connection's
 * sync still runs starts nothing (it is logged as skipped). After downtime a schedule whose slot has
 * passed fires once, then resumes from now: missed slots are not replayed one by one.
 *
 * Every API replica runs the same schedules. On a shared queue each slot is claimed first
 * (`Jobs.claimSlot`): the replica that claims it submits the job, the others let it pass.
 */

import { nextRun, type Schedule } from "../config/schedule.ts";
import type { Jobs, SubmitInput } from "./jobs.ts";

export interface ScheduledConnection {
  connectionId: string;
  schedule: Schedule;
  /** When its last run started (from the store), to catch up once after downtime. */
  lastRunAt: Date | undefined;
}

export interface SchedulerEvents {
  /** `slot` is when the sync was due, `at` when the scheduler submitted it (late after a busy loop or downtime). */
  fired?(connectionId: string, runId: string, slot: Date, at: Date): void;
  skipped?(connectionId: string, runningRunId: string): void;
  /** Another process sharing the queue took the slot due at `slot`. */
  elsewhere?(connectionId: string, slot: Date): void;
  /** The job queue refused the submit (a queue-backed one can be unreachable); the next slot tries again. */
  failed?(connectionId: string, err: unknown): void;
}

export interface Scheduler {
  /** The next firing per connection (for the API and console). */
  next(connectionId: string): Date | undefined;
  /** Runs whatever is due now and plans the next wake-up; called by the timer and by tests. */
  tick(): void;
  /** Adds, changes or (without a schedule) drops a connection's schedule at runtime. */
  set(connectionId: string, schedule: Schedule | undefined, lastRunAt: Date | undefined): void;
  stop(): void;
}

export interface SchedulerOptions {
  jobs: Jobs;
  entries: ScheduledConnection[];
  now?: () => Date;
  /** The longest sleep between checks, so a changed wall clock is noticed within it. */
  maxSleepMs?: number;
  timers?: { set(fn: () => void, ms: number): unknown; clear(handle: unknown): void };
  events?: SchedulerEvents;
  /** The job an entry's slot submits (its `connectionId` is then the caller's key); default a sync. */
  job?: (key: string) => SubmitInput;
}

export function startScheduler(options: SchedulerOptions): Scheduler {
  const now = options.now ?? (() => new Date());
  const maxSleepMs = options.maxSleepMs ?? 60_000;
  const timers = options.timers ?? {
    set: (fn: () => void, ms: number) => setTimeout(fn, ms).unref(),
    clear: (h: unknown) => clearTimeout(h as NodeJS.Timeout),
  };
  const entries = new Map<string, ScheduledConnection>();
  const due = new Map<string, Date | undefined>();
  const plan = (e: ScheduledConnection) => {
    entries.set(e.connectionId, e);
    // Never run: due at once. Otherwise the slot after the last run, which may already have passed.
    due.set(e.connectionId, e.lastRunAt === undefined ? now() : nextRun(e.schedule, e.lastRunAt));
  };
  for (const e of options.entries) plan(e);
  let handle: unknown;
  let stopped = false;

  function tick(): void {
    if (stopped) return;
    timers.clear(handle);
    const t = now();
    for (const e of entries.values()) {
      const at = due.get(e.connectionId);
      if (at === undefined || at > t) continue;
      // The next slot is taken before the submit settles, so a slow queue never fires one slot twice.
      const next = nextRun(e.schedule, t);
      due.set(e.connectionId, next);
      const request = options.job?.(e.connectionId) ?? {
        kind: "sync",
        connectionId: e.connectionId,
        input: { scheduled: true },
        singleton: true,
      };
      const claim = {
        key: `${request.kind}/${e.connectionId}`,
        schedule: JSON.stringify(e.schedule),
        now: t,
        next,
      };
      (options.jobs.claimSlot?.(claim) ?? Promise.resolve(true))
        .then(async (mine) => {
          if (!mine) return options.events?.elsewhere?.(e.connectionId, at);
          const { job, conflict } = await options.jobs.submit(request);
          if (conflict) options.events?.skipped?.(e.connectionId, conflict.id);
          else options.events?.fired?.(e.connectionId, job.id, at, t);
        })
        .catch((err: unknown) => options.events?.failed?.(e.connectionId, err));
    }
    const upcoming = [...due.values()].filter((d): d is Date => d !== undefined).map((d) => d.getTime());
    const wait =
      upcoming.length === 0
        ? maxSleepMs
        : Math.min(maxSleepMs, Math.max(0, Math.min(...upcoming) - t.getTime()));
    handle = timers.set(tick, wait);
  }

  tick();
  return {
    next: (id) => due.get(id),
    tick,
    set(connectionId, schedule, lastRunAt) {
      if (schedule === undefined) {
        entries.delete(connectionId);
        due.delete(connectionId);
      } else plan({ connectionId, schedule, lastRunAt });
      tick();
    },
    stop() {
      stopped = true;
      timers.clear(handle);
    },
  };
}
