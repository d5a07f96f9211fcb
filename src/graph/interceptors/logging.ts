import type { Logger } from "../../log/logger.ts";
import type { Interceptor } from "../call.ts";
import { displayUrl } from "../url.ts";

/** One debug line per attempt (method, URL without tokens, status, time, request-id). */
export function loggingInterceptor(logger: Logger): Interceptor {
  return (next) => async (call) => {
    if (!logger.isLevelEnabled("debug")) return next(call);
    const started = performance.now();
    try {
      const res = await next(call);
      logger.debug(
        {
          method: call.method,
          url: displayUrl(call.url),
          status: res.status,
          ms: Math.round(performance.now() - started),
          requestId: res.requestId,
          ru: res.headers["x-ms-resource-unit"],
        },
        "graph request",
      );
      return res;
    } catch (err) {
      logger.debug({ method: call.method, url: displayUrl(call.url), err }, "graph request failed");
      throw err;
    }
  };
}
