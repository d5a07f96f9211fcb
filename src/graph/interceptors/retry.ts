import { backoffMs, parseRetryAfter, SERVICE_BACKOFF } from "../../common/retry-after.ts";
import { sleep } from "../../common/sleep.ts";
import { ConnectorError } from "../../errors.ts";
import type { Interceptor } from "../call.ts";
import type { Limiter } from "../limiter.ts";
import type { MutableStats } from "../stats.ts";

export interface RetryOptions {
  maxRetries: number;
  limiter: Limiter;
  stats: MutableStats;
  random?: () => number;
}

/** Transient answers (docs/graph.md#throttling). */
export const TRANSIENT = new Set([429, 503, 504]);

/**
 * Retries 429 always (the service refused before doing anything) and 503/504/network faults only
 * when repeating is safe (`call.idempotent`). Waits exactly `Retry-After` when given — pausing the
 * whole connection, since the budget is shared — else backs off exponentially with jitter.
 */
export function retryInterceptor(options: RetryOptions): Interceptor {
  const { maxRetries, limiter, stats } = options;
  return (next) => async (call) => {
    for (let attempt = 0; ; attempt++) {
      call.attempts = attempt + 1;
      let waitMs: number;
      try {
        const res = await next(call);
        if (!TRANSIENT.has(res.status) || attempt >= maxRetries) return res;
        if (res.status !== 429 && !call.idempotent) return res;
        const asked = parseRetryAfter(res.headers["retry-after"]);
        waitMs = asked ?? backoffMs(attempt + 1, SERVICE_BACKOFF, options.random);
        if (res.status === 429) {
          stats.throttled++;
          limiter.pause(waitMs);
        }
      } catch (err) {
        // A wrong host or port is not transient: DNS and refused connections are marked not retryable.
        const transient = err instanceof ConnectorError && err.retryable;
        if (!transient || !call.idempotent || attempt >= maxRetries) throw err;
        waitMs = backoffMs(attempt + 1, SERVICE_BACKOFF, options.random);
      }
      stats.retries++;
      stats.throttleWaitMs += waitMs;
      await sleep(waitMs, call.signal);
    }
  };
}
