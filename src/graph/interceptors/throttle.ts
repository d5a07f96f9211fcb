import type { Interceptor } from "../call.ts";
import { reportedUsage } from "../cost.ts";
import type { Limiter } from "../limiter.ts";

/** Spends the shared budget before each attempt and feeds the service's accounting back to it. */
export function throttleInterceptor(limiter: Limiter): Interceptor {
  return (next) => async (call) => {
    await limiter.acquire(call.charge, call.signal);
    try {
      const res = await next(call);
      limiter.observe(call.charge, reportedUsage(res.headers, res.body));
      return res;
    } finally {
      limiter.release();
    }
  };
}
