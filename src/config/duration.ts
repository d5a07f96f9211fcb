/**
 * Durations, one syntax wherever one is given (flags, variables, the library's options): a number and
 * a unit, `500ms`, `30s`, `5m`, `24h`, `7d`. A bare number is refused rather than guessed at, except `0`
 * where zero has a meaning ("every time").
 */
import { createError } from "../errors.ts";

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const EXAMPLES = "500ms, 30s, 5m, 24h, 7d";

/** Node's timers hold at most 2^31−1 ms (24.8 days); a longer one fires after 1 ms instead. */
export const MAX_DURATION_MS = 24 * UNITS["d"]!;

export interface DurationLimits {
  /** Shortest accepted (default 100 ms): below it a poll loop only burns requests and CPU. */
  minMs?: number;
  /** Longest accepted (default and ceiling MAX_DURATION_MS). */
  maxMs?: number;
  /** `0` is accepted and means "every time". */
  zero?: boolean;
}

/** 90000 → "90s", 86400000 → "1d": the largest unit that divides it, as the syntax writes it. */
export function formatDuration(ms: number): string {
  for (const unit of ["d", "h", "m", "s"]) {
    const size = UNITS[unit]!;
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

/**
 * `30s` → 30000; refused with CONFIG_INVALID naming `field`, the syntax and the limits otherwise.
 *
 * @example parseDuration("30s", "--interval") // 30000
 */
export function parseDuration(value: string, field: string, limits: DurationLimits = {}): number {
  const text = String(value).trim();
  const fail = (problem: string) => createError("CONFIG_INVALID", { field, problem });
  if (limits.zero && /^0+(\.0*)?\s*(ms|s|m|h|d)?$/.test(text)) return 0;
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/.exec(text);
  if (!match) {
    throw /^\d+(\.\d+)?$/.test(text)
      ? fail(`"${text}" has no unit; write e.g. ${text}s or ${text}m (units: ms, s, m, h, d)`)
      : fail(`"${text}" is not a duration; write a number and a unit, e.g. ${EXAMPLES}`);
  }
  return checkDuration(Math.round(Number(match[1]) * UNITS[match[2]!]!), field, limits, `"${text}"`);
}

/** A duration the library was given in milliseconds, held to the same limits as a parsed one. */
export function checkDuration(
  ms: number,
  field: string,
  limits: DurationLimits = {},
  shown: string = `${ms} ms`,
): number {
  const min = limits.minMs ?? 100;
  const max = Math.min(limits.maxMs ?? MAX_DURATION_MS, MAX_DURATION_MS);
  const zeroNote = limits.zero ? " (or 0 for every time)" : "";
  if (limits.zero && ms === 0) return 0;
  if (!Number.isFinite(ms) || ms < min) {
    throw createError("CONFIG_INVALID", {
      field,
      problem: `${shown} is shorter than the minimum, ${formatDuration(min)}${zeroNote}`,
    });
  }
  if (ms > max) {
    throw createError("CONFIG_INVALID", {
      field,
      problem: `${shown} is longer than the maximum, ${formatDuration(max)}${max === MAX_DURATION_MS ? " (the longest timer Node keeps)" : ""}`,
    });
  }
  return ms;
}
