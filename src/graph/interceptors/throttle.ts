import type { Interceptor } from "../call.ts";
import type { Limiter } from "../limiter.ts";

/** Spends the shared budget before each attempt and feeds the service's accounting back to it. */
export function throttleInterceptor(limiter: Limiter): Interceptor {
  return (next) => async (call) => {
    await limiter.acquire(call.cost, call.isWrite, call.signal);
    try {
      const res = await next(call);
      limiter.observe(call.cost, call.isWrite, res.headers);
      return res;
    } finally {
      limiter.release();
    }
  };
}
