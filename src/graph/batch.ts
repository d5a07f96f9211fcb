import { backoffMs, parseRetryAfter, SERVICE_BACKOFF } from "../common/retry-after.ts";
import { sleep } from "../common/sleep.ts";
import { GraphError } from "../errors.ts";
import type { MutableStats } from "./stats.ts";
import type { BatchRequest, BatchResponse } from "./types.ts";
import { displayUrl } from "./url.ts";

/** Graph's limit per `$batch` call (docs/graph.md#batching). */
export const BATCH_LIMIT = 20;

/** One `$batch` envelope's answer: its inner responses and the envelope's own request-id. */
export interface BatchAnswer {
  responses: BatchResponse[];
  requestId: string;
}

export interface BatchDeps {
  /** POSTs one `$batch` envelope and returns its answer (throws on a failed envelope). */
  post(requests: BatchRequest[], signal: AbortSignal | undefined): Promise<BatchAnswer>;
  /** A throttled inner request means the shared budget is spent: everyone waits its Retry-After. */
  pause(ms: number): void;
  maxRetries: number;
  stats: MutableStats;
  random?: () => number;
}

function lower(headers: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers ?? {})) out[k.toLowerCase()] = String(v);
  return out;
}

/** Inner requests that may be sent again: throttled ones always, 503/504 only for reads. */
function retryable(req: BatchRequest, res: BatchResponse): boolean {
  if (res.status === 429) return true;
  return (res.status === 503 || res.status === 504) && req.method === "GET";
}

/** An inner request the envelope left unanswered, as a typed error naming it and the envelope. */
function unanswered(req: BatchRequest, requestId: string, attempts: number): GraphError {
  return new GraphError({
    code: "GRAPH_REQUEST_FAILED",
    status: 502,
    graphCode: "BatchResponseMissing",
    graphMessage: `the $batch answer carried no response for request id "${req.id}"`,
    requestId,
    method: req.method,
    url: displayUrl(req.url),
    retryable: true,
    attempts,
  });
}

/**
 * Runs requests in envelopes of at most 20. Each inner answer stands alone: throttled (and, for
 * reads, unavailable) inner requests are resent after their own Retry-After, together with the
 * dependants that failed (424) only because of them. An inner request the envelope did not answer
 * is sent once more (never a POST), then is a GraphError naming it. Results come back in request
 * order, one per request.
 */
export async function runBatch(
  deps: BatchDeps,
  requests: BatchRequest[],
  signal: AbortSignal | undefined,
): Promise<BatchResponse[]> {
  const results = new Map<string, BatchResponse>();
  for (let i = 0; i < requests.length; i += BATCH_LIMIT) {
    await runChunk(deps, requests.slice(i, i + BATCH_LIMIT), results, signal);
  }
  return requests.map((r) => results.get(r.id)!);
}

async function runChunk(
  deps: BatchDeps,
  chunk: BatchRequest[],
  results: Map<string, BatchResponse>,
  signal: AbortSignal | undefined,
): Promise<void> {
  let pending = chunk.map(withContentType);
  const unansweredOnce = new Set<string>();
  for (let attempt = 0; pending.length > 0; attempt++) {
    const answer = await deps.post(pending, signal);
    const byId = new Map(answer.responses.map((a) => [String(a.id), { ...a, headers: lower(a.headers) }]));
    const again = new Set<string>();
    let waitMs = 0;
    let throttledMs = 0;
    for (const req of pending) {
      const res = byId.get(req.id);
      if (res === undefined) {
        // Graph promises one response per request; a gap is a fault on its side. A POST may have
        // run (a second one could create twice), so only the other methods are sent once more.
        if (req.method === "POST" || unansweredOnce.has(req.id) || attempt >= deps.maxRetries)
          throw unanswered(req, answer.requestId, attempt + 1);
        unansweredOnce.add(req.id);
        results.delete(req.id);
        again.add(req.id);
        waitMs = Math.max(waitMs, backoffMs(attempt + 1, SERVICE_BACKOFF, deps.random));
        continue;
      }
      results.set(req.id, res);
      if (attempt < deps.maxRetries && retryable(req, res)) {
        again.add(req.id);
        const asked =
          parseRetryAfter(res.headers["retry-after"]) ?? backoffMs(attempt + 1, SERVICE_BACKOFF, deps.random);
        waitMs = Math.max(waitMs, asked);
        if (res.status === 429) {
          deps.stats.throttled++;
          throttledMs = Math.max(throttledMs, asked);
        }
      }
    }
    if (again.size === 0) return;
    if (throttledMs > 0) deps.pause(throttledMs);
    // A dependant that failed only because its dependency is being retried goes again with it.
    for (const req of pending) {
      if (results.get(req.id)?.status === 424 && req.dependsOn?.some((d) => again.has(d))) again.add(req.id);
    }
    pending = pending
      .filter((r) => again.has(r.id))
      .map((r) => {
        // Dependencies that already succeeded are not in this envelope: drop them.
        const still = r.dependsOn?.filter((d) => again.has(d));
        const { dependsOn: _, ...rest } = r;
        return still && still.length > 0 ? { ...rest, dependsOn: still } : rest;
      });
    deps.stats.retries += pending.length;
    deps.stats.throttleWaitMs += waitMs;
    await sleep(waitMs, signal);
  }
}

function withContentType(r: BatchRequest): BatchRequest {
  if (r.body === undefined) return r;
  const headers = { ...r.headers };
  if (!Object.keys(headers).some((k) => k.toLowerCase() === "content-type"))
    headers["Content-Type"] = "application/json";
  return { ...r, headers };
}
