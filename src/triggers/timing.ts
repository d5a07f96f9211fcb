/** The retry schedule: pure. */
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
