import type { Dispatcher } from "undici";
import { createError } from "../errors.ts";
import type { GraphCall, RawResponse, Send } from "./call.ts";
import { networkError } from "./http.ts";

function flatten(headers: Dispatcher.ResponseData["headers"]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name in headers) {
    const v = headers[name];
    if (v !== undefined) out[name] = Array.isArray(v) ? v.join(", ") : v;
  }
  return out;
}

function timeoutError(): Error {
  return Object.assign(new Error("request timed out"), { code: "UND_ERR_HEADERS_TIMEOUT" });
}

/** The core: one HTTP exchange over the keep-alive pool, JSON in and out, any status returned. */
export function createSend(dispatcher: Dispatcher): Send {
  return async (call: GraphCall): Promise<RawResponse> => {
    const q = call.url.indexOf("/", call.url.indexOf("//") + 2);
    const origin = q < 0 ? call.url : call.url.slice(0, q);
    const path = q < 0 ? "/" : call.url.slice(q);
    // One deadline for the whole exchange (headers and body), combined with the caller's signal.
    const deadline = AbortSignal.timeout(call.timeoutMs);
    const signal = call.signal ? AbortSignal.any([call.signal, deadline]) : deadline;
    const fail = (err: unknown) =>
      call.signal?.aborted
        ? createError("REQUEST_ABORTED", {}, { cause: err })
        : networkError(deadline.aborted ? timeoutError() : err, {
            method: call.method,
            url: call.url,
            timeoutMs: call.timeoutMs,
          });
    let res: Dispatcher.ResponseData;
    try {
      res = await dispatcher.request({
        origin,
        path,
        method: call.method,
        headers: call.headers,
        body: call.body ?? null,
        signal,
      });
    } catch (err) {
      throw fail(err);
    }
    const headers = flatten(res.headers);
    let body: unknown = null;
    try {
      const text = await res.body.text();
      if (text.length > 0) {
        body = (headers["content-type"] ?? "").includes("json") ? JSON.parse(text) : text;
      }
    } catch (err) {
      throw fail(err);
    }
    const requestId =
      headers["request-id"] ??
      (body as { error?: { innerError?: Record<string, string> } } | null)?.error?.innerError?.[
        "request-id"
      ] ??
      "";
    return { status: res.statusCode, headers, body, requestId };
  };
}
