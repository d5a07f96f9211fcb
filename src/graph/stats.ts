import type { ClientStats } from "./types.ts";

export type MutableStats = { -readonly [K in keyof ClientStats]: ClientStats[K] };

/** What the client spent between two readings of its stats. */
export function statsSince(before: ClientStats, now: ClientStats): ClientStats {
  return {
    requests: now.requests - before.requests,
    resourceUnits: now.resourceUnits - before.resourceUnits,
    throttled: now.throttled - before.throttled,
    throttleWaitMs: now.throttleWaitMs - before.throttleWaitMs,
    retries: now.retries - before.retries,
  };
}

export function emptyStats(): MutableStats {
  return { requests: 0, resourceUnits: 0, throttled: 0, throttleWaitMs: 0, retries: 0 };
}
