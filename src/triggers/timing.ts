/** Durations from flags, and the retry schedule: pure. */
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

export interface RetryPolicy {
  /** First retry delay; doubled per attempt. */
  baseMs: number;
  maxMs: number;
}

/**
 * Delay before retry `attempt` (1-based): exponential, capped, with "full jitter" (uniform in
 * [cap/2, cap]) so many subscriptions failing together do not retry in lockstep.
 */
export function retryDelay(attempt: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const cap = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(cap / 2 + (random() * cap) / 2);
}
