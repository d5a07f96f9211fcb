import type { Interceptor } from "../call.ts";
import type { MutableStats } from "../stats.ts";

/** Counts every attempt on the wire and the resource units Graph charged (or the estimate). */
export function statsInterceptor(stats: MutableStats): Interceptor {
  return (next) => async (call) => {
    stats.requests++;
    const res = await next(call);
    const ru = Number(res.headers["x-ms-resource-unit"]);
    stats.resourceUnits += Number.isFinite(ru) && ru > 0 ? ru : call.cost;
    return res;
  };
}
