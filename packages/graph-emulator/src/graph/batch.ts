/**
 * JSON batching: POST /$batch (docs/graph.md#batching). Each inner request goes through the same
 * router as a top-level one (permissions, throttling — an inner 429 carries its own Retry-After —,
 * faults, latency); the batch itself is not charged. Requests without dependencies run concurrently and
 * the answers come back in an order unrelated to the request order, as Graph's do; clients must match
 * them by id. A request whose dependency failed is not run and answers 424.
 *
 * Messages: "Invalid batch payload format.", "Request Id … has to be unique in a batch." and "Write
 * request id : … does not contain Content-Type header or body." are Graph's (seen in live answers quoted
 * in public SDK issues and fixtures); the size, dependsOn and 424 wordings are unconfirmed.
 */
import { errorBody, GraphError, graphErrors } from "./errors.ts";
import { PERMISSIONS } from "./permissions.ts";
import type { GraphReply, GraphRequest, Router } from "./router.ts";

export const MAX_BATCH_REQUESTS = 20;

const METHODS = new Set(["GET", "POST", "PATCH", "PUT", "DELETE"]);

interface InnerRequest {
  id: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  body: unknown;
  dependsOn: string[];
}

export interface BatchResponseItem {
  id: string;
  status: number;
  headers: Record<string, string>;
  body?: unknown;
}

export function registerBatchRoutes(router: Router): void {
  router.add({
    method: "POST",
    path: "/$batch",
    permissions: PERMISSIONS.any,
    write: false,
    // The batch is free; each inner request is charged and faulted on its own.
    passthrough: true,
    handler: async (ctx) => {
      const requests = parseBatch(ctx.json());
      const responses = await runBatch(router, ctx.request, requests);
      return { status: 200, body: { responses: shuffle(responses) }, objects: responses.length };
    },
  });
}

const invalidBatch = () => graphErrors.invalidRequest("Invalid batch payload format.");

/** Validates the whole batch before anything runs: a malformed batch is refused as one 400. */
export function parseBatch(payload: Record<string, unknown>): InnerRequest[] {
  const raw = payload["requests"];
  if (!Array.isArray(raw) || raw.length === 0) throw invalidBatch();
  if (raw.length > MAX_BATCH_REQUESTS) {
    throw graphErrors.invalidRequest(
      `Invalid batch payload format. The batch holds ${raw.length} requests; the limit is ${MAX_BATCH_REQUESTS}.`,
    );
  }
  const requests: InnerRequest[] = [];
  const ids = new Set<string>();
  for (const item of raw) {
    const request = parseInner(item);
    if (ids.has(request.id))
      throw graphErrors.invalidRequest(`Request Id ${request.id} has to be unique in a batch.`);
    ids.add(request.id);
    requests.push(request);
  }
  for (const request of requests) {
    for (const dependency of request.dependsOn) {
      if (!ids.has(dependency) || dependency === request.id) {
        throw graphErrors.invalidRequest(
          `Invalid batch payload format. Request ${request.id} depends on '${dependency}', which is not another request of this batch.`,
        );
      }
    }
  }
  if (hasCycle(requests)) {
    throw graphErrors.invalidRequest("Invalid batch payload format. The dependsOn references form a cycle.");
  }
  return requests;
}

function parseInner(item: unknown): InnerRequest {
  if (typeof item !== "object" || item === null || Array.isArray(item)) throw invalidBatch();
  const record = item as Record<string, unknown>;
  const { id, method, url } = record;
  if (typeof id !== "string" || id.length === 0) throw invalidBatch();
  if (typeof method !== "string" || !METHODS.has(method.toUpperCase())) throw invalidBatch();
  if (typeof url !== "string" || url.length === 0) throw invalidBatch();
  const headers: Record<string, string> = {};
  if (record["headers"] !== undefined) {
    if (typeof record["headers"] !== "object" || record["headers"] === null) throw invalidBatch();
    for (const [name, value] of Object.entries(record["headers"] as Record<string, unknown>)) {
      if (typeof value !== "string") throw invalidBatch();
      headers[name.toLowerCase()] = value;
    }
  }
  const dependsOn = record["dependsOn"] ?? [];
  if (!Array.isArray(dependsOn) || dependsOn.some((d) => typeof d !== "string")) throw invalidBatch();
  const body = record["body"];
  if (body !== undefined && body !== null && headers["content-type"] === undefined) {
    throw graphErrors.invalidRequest(
      `Write request id : ${id} does not contain Content-Type header or body.`,
    );
  }
  return { id, method: method.toUpperCase(), url, headers, body, dependsOn: dependsOn as string[] };
}

function hasCycle(requests: InnerRequest[]): boolean {
  const byId = new Map(requests.map((r) => [r.id, r]));
  const state = new Map<string, "visiting" | "done">();
  const visit = (id: string): boolean => {
    const current = state.get(id);
    if (current === "done") return false;
    if (current === "visiting") return true;
    state.set(id, "visiting");
    for (const dependency of byId.get(id)?.dependsOn ?? []) if (visit(dependency)) return true;
    state.set(id, "done");
    return false;
  };
  return requests.some((r) => visit(r.id));
}

/** Runs every request as soon as its dependencies have answered; a failed dependency gives 424. */
export async function runBatch(
  router: Router,
  outer: GraphRequest,
  requests: InnerRequest[],
): Promise<BatchResponseItem[]> {
  const started = new Map<string, Promise<BatchResponseItem>>();
  const run = (request: InnerRequest): Promise<BatchResponseItem> => {
    let promise = started.get(request.id);
    if (!promise) {
      promise = (async () => {
        const dependencies = await Promise.all(
          request.dependsOn.map((id) => run(requests.find((r) => r.id === id) as InnerRequest)),
        );
        const now = router.services.now;
        if (dependencies.some((d) => d.status >= 400)) {
          const error = new GraphError(
            424,
            "FailedDependency",
            "The request was not run because a request it depends on failed.",
          );
          return errorItem(request.id, error, outer, now());
        }
        const inner = innerRequest(request, outer);
        if (inner.path.toLowerCase() === "/$batch" || inner.path.toLowerCase() === "/%24batch") {
          return errorItem(
            request.id,
            graphErrors.invalidRequest("Nested batch requests are not supported."),
            outer,
            now(),
          );
        }
        const reply = await router.dispatch(inner);
        // A dropped connection cannot happen inside a batch answer: the service reports it as unavailable.
        if (reply.reset) return errorItem(request.id, graphErrors.serviceUnavailable(), outer, now());
        return toItem(request.id, reply);
      })();
      started.set(request.id, promise);
    }
    return promise;
  };
  return Promise.all(requests.map(run));
}

function innerRequest(request: InnerRequest, outer: GraphRequest): GraphRequest {
  // Inner URLs are relative to the version root: "/users/{id}?$select=…" (a leading slash is optional).
  const parsed = new URL(
    request.url.startsWith("/") ? request.url : `/${request.url}`,
    "http://batch.invalid",
  );
  return {
    method: request.method,
    version: outer.version,
    path: parsed.pathname,
    query: parsed.searchParams,
    headers: request.headers,
    body: request.body ?? Buffer.alloc(0),
    caller: outer.caller,
    requestId: outer.requestId,
    clientRequestId: outer.clientRequestId,
  };
}

function errorItem(id: string, error: GraphError, outer: GraphRequest, now: number): BatchResponseItem {
  return toItem(id, {
    status: error.status,
    headers: error.headers ?? {},
    body: errorBody(error, outer, now),
  });
}

function toItem(id: string, reply: GraphReply): BatchResponseItem {
  const headers: Record<string, string> = { ...(reply.headers ?? {}) };
  const item: BatchResponseItem = { id, status: reply.status, headers };
  if (reply.body !== undefined) {
    item.body = reply.body;
    if (typeof reply.body === "string") headers["Content-Type"] ??= "text/plain";
    else
      headers["Content-Type"] ??=
        "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8";
    headers["OData-Version"] ??= "4.0";
  }
  return item;
}

/** Graph answers in completion order, not request order: make sure clients never rely on it. */
function shuffle<T>(items: T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}
