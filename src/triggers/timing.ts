/** Durations from flags, and the retry policy: pure. */
import type { BackoffPolicy } from "../common/retry-after.ts";
import { createError } from "../errors.ts";

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * `500ms`, `30s`, `5m`, `24h`, `7d` (a bare number is seconds) → milliseconds.
 *
 * @example parseDuration("30s", "--interval") // 30000
 */
export function parseDuration(value: string | number, field: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(String(value));
  const ms = match ? Number(match[1]) * (UNITS[match[2] ?? "s"] as number) : Number.NaN;
  if (!Number.isFinite(ms) || ms <= 0) {
    throw createError("CONFIG_INVALID", {
      field,
      problem: `"${value}" is not a duration; write e.g. 500ms, 30s, 5m, 24h`,
    });
  }
  return Math.round(ms);
}

/** A webhook's retry steps (`--retry-base`, doubled per attempt up to `maxMs`); waits come from `backoffMs`. */
export type RetryPolicy = BackoffPolicy;
