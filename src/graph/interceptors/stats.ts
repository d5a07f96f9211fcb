import type { Interceptor } from "../call.ts";
import { reportedUsage } from "../cost.ts";
import type { MutableStats } from "../stats.ts";

/** Counts every attempt on the wire and the resource units Graph charged (or the estimate). */
export function statsInterceptor(stats: MutableStats): Interceptor {
  return (next) => async (call) => {
    stats.requests++;
    const res = await next(call);
    stats.resourceUnits += reportedUsage(res.headers, res.body).ru ?? call.charge.ru;
    return res;
  };
}
