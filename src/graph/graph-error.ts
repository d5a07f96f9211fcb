import { GraphError, type GraphErrorCode } from "../errors.ts";
import type { GraphCall, RawResponse } from "./call.ts";
import { displayUrl } from "./url.ts";

/** Codes Graph uses when a delta token can no longer be used (docs/graph.md#delta-queries). */
const DELTA_EXPIRED_CODES = new Set(["syncstatenotfound", "resyncrequired", "syncstateinvalid"]);

interface Envelope {
  error?: { code?: string; message?: string; details?: unknown[] };
}

function codeFor(status: number, deltaExpired: boolean): GraphErrorCode {
  if (deltaExpired) return "GRAPH_DELTA_EXPIRED";
  if (status === 400) return "GRAPH_BAD_REQUEST";
  if (status === 401) return "GRAPH_UNAUTHORIZED";
  if (status === 403) return "GRAPH_FORBIDDEN";
  if (status === 404) return "GRAPH_NOT_FOUND";
  if (status === 409 || status === 412) return "GRAPH_CONFLICT";
  if (status === 429) return "GRAPH_THROTTLED";
  if (status === 502 || status === 503 || status === 504) return "GRAPH_UNAVAILABLE";
  return "GRAPH_REQUEST_FAILED";
}

/** A non-2xx answer as a typed GraphError carrying status, Graph code, message and request-id. */
export function toGraphError(
  call: Pick<GraphCall, "method" | "url">,
  res: RawResponse,
  attempts = 1,
  delta = false,
): GraphError {
  const env = (typeof res.body === "object" && res.body !== null ? res.body : {}) as Envelope;
  const graphCode = env.error?.code ?? `HTTP${res.status}`;
  const graphMessage =
    env.error?.message ??
    (typeof res.body === "string" && res.body ? res.body.slice(0, 200) : "no error body");
  const deltaExpired = DELTA_EXPIRED_CODES.has(graphCode.toLowerCase()) || (delta && res.status === 410);
  return new GraphError({
    code: codeFor(res.status, deltaExpired),
    status: res.status,
    graphCode,
    graphMessage,
    requestId: res.requestId,
    method: call.method,
    url: displayUrl(call.url),
    deltaExpired,
    retryable: res.status === 429 || res.status === 503 || res.status === 504,
    attempts,
    details: env.error?.details ?? [],
  });
}
