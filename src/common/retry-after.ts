/**
 * `Retry-After` in ms: seconds (fractions such as `2.128` occur) or an HTTP date
 * (docs/graph.md#throttling). Undefined when absent or unreadable.
 */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (v === "") return undefined;
  if (/^\d+(\.\d+)?$/.test(v)) return Math.ceil(Number(v) * 1000);
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : Math.max(0, t - now);
}

export interface BackoffPolicy {
  /** The first retry's step; doubled for each retry after it. */
  baseMs: number;
  /** No step is longer. */
  maxMs: number;
}

/** Graph and the token endpoint: half a second first, never more than 30 s. */
export const SERVICE_BACKOFF: BackoffPolicy = { baseMs: 500, maxMs: 30_000 };

/**
 * The wait before retry `retry` (1-based) when the service named none: the step doubles from
 * `baseMs` up to `maxMs`, and the wait is uniform in [step/2, step]. Half is fixed so a retry never
 * fires at once against a service that just failed; half is random so clients that failed together
 * (a whole connection, many subscriptions) do not retry in lockstep.
 */
export function backoffMs(
  retry: number,
  policy: BackoffPolicy = SERVICE_BACKOFF,
  random = Math.random,
): number {
  const step = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, retry - 1));
  return Math.round(step / 2 + (random() * step) / 2);
}
