/**
 * Schedules: every N (an interval) or a cron expression in a time zone. Pure: the next run after a
 * given time; the scheduler decides when to ask.
 */
import { Cron } from "croner";
import { createError } from "../errors.ts";
import { parseDuration } from "./duration.ts";

export type Schedule =
  | { kind: "interval"; everyMs: number }
  | { kind: "cron"; expression: string; timeZone: string };

/** Intervals shorter than this would only queue syncs behind each other. */
export const MIN_INTERVAL_MS = 1000;

/**
 * `every 15m` / `every 2h` (an interval: a duration, 1s to 24d), or a cron expression (`0 *\/2 * * *`, five or
 * six fields) evaluated in `timeZone` (an IANA name; UTC by default).
 */
export function parseSchedule(text: string, timeZone = "UTC", field = "schedule"): Schedule {
  const value = text.trim();
  // The interval is a duration like every other (src/config/duration.ts), held to the same ceiling.
  const every = /^every\s+(.+)$/i.exec(value);
  if (every)
    return { kind: "interval", everyMs: parseDuration(every[1]!, field, { minMs: MIN_INTERVAL_MS }) };
  try {
    Intl.DateTimeFormat(undefined, { timeZone });
  } catch {
    throw createError("CONFIG_INVALID", {
      field: `${field} time zone`,
      problem: `"${timeZone}" is not an IANA time zone such as Europe/Paris or UTC`,
    });
  }
  try {
    new Cron(value, { timezone: timeZone, paused: true });
  } catch (err) {
    throw createError("CONFIG_INVALID", {
      field,
      problem: `must be "every <duration>" (e.g. every 15m) or a cron expression such as "0 */2 * * *" (${(err as Error).message})`,
    });
  }
  return { kind: "cron", expression: value, timeZone };
}

/** The first run strictly after `after`; undefined when a cron expression has no further run. */
export function nextRun(schedule: Schedule, after: Date): Date | undefined {
  if (schedule.kind === "interval") return new Date(after.getTime() + schedule.everyMs);
  return (
    new Cron(schedule.expression, { timezone: schedule.timeZone, paused: true }).nextRun(after) ?? undefined
  );
}

export function describeSchedule(schedule: Schedule): string {
  return schedule.kind === "interval"
    ? `every ${schedule.everyMs / 1000}s`
    : `cron "${schedule.expression}" (${schedule.timeZone})`;
}
