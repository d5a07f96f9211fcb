import type { Interceptor } from "../call.ts";
import { reportedUsage } from "../cost.ts";
import type { MutableStats } from "../stats.ts";

/**
 * Counts every attempt on the wire and the resource units Graph charged (or the estimate). A 429 was
 * refused before anything was charged, whatever cost its `x-ms-resource-unit` names.
 */
export function statsInterceptor(stats: MutableStats): Interceptor {
  return (next) => async (call) => {
    stats.requests++;
    const res = await next(call);
    if (res.status !== 429) stats.resourceUnits += reportedUsage(res.headers, res.body).ru ?? call.charge.ru;
    return res;
  };
}
