import type { GraphClient } from "../graph/types.ts";
import type { ActionContext, PlannedRequest, RecentlyCreated } from "./types.ts";

/** Stands in for the id of an object a dry run would create (nothing was sent, so Graph assigned none). */
export const PLANNED_ID = "(assigned by Graph)";

/** Remembers ids this process created for `ttlMs` (long enough to outlast directory replication). */
export function recentlyCreated(ttlMs = 120_000, now: () => number = Date.now): RecentlyCreated {
  const created = new Map<string, { at: number; key: string | undefined }>();
  const byKey = new Map<string, string>();
  const forget = (id: string) => {
    const key = created.get(id)?.key;
    if (key !== undefined && byKey.get(key) === id) byKey.delete(key);
    created.delete(id);
  };
  const has = (id: string) => {
    const entry = created.get(id);
    if (entry === undefined) return false;
    if (now() - entry.at > ttlMs) {
      forget(id);
      return false;
    }
    return true;
  };
  return {
    add(id, key) {
      created.set(id, { at: now(), key });
      if (key !== undefined) byKey.set(key, id);
    },
    forget,
    has,
    idFor(key) {
      const id = byKey.get(key);
      return id !== undefined && has(id) ? id : undefined;
    },
  };
}

/** The same client with `signal` on every request, so cancelling stops an action between requests. */
export function withSignal(graph: GraphClient, signal: AbortSignal): GraphClient {
  return {
    graphRoot: graph.graphRoot,
    request: (path, options = {}) => graph.request(path, { signal, ...options }),
    get: (path, options = {}) => graph.get(path, { signal, ...options }),
    pages: (path, options = {}) => graph.pages(path, { signal, ...options }),
    delta: (path, options = {}) => graph.delta(path, { signal, ...options }),
    batch: (requests, options = {}) => graph.batch(requests, { signal, ...options }),
    stats: () => graph.stats(),
    close: () => graph.close(),
  };
}

export interface ContextOptions {
  graph: GraphClient;
  dryRun: boolean;
  recent: RecentlyCreated;
  replicationWaitMs: number;
  /** Receives the request-id of every write sent, for the audit record. */
  onRequestId(requestId: string): void;
  onTarget(target: string): void;
  explain(err: unknown): Promise<unknown>;
}

/** The per-invocation context: writes are sent, or only recorded when this is a dry run. */
export function createContext(options: ContextOptions): ActionContext {
  const requests: PlannedRequest[] = [];
  return {
    graph: options.graph,
    dryRun: options.dryRun,
    requests,
    recent: options.recent,
    replicationWaitMs: options.replicationWaitMs,
    setTarget: options.onTarget,
    explain: options.explain,
    async write<T>(
      request: PlannedRequest,
      writeOptions: { repeatSafe?: boolean } = {},
    ): Promise<T | undefined> {
      requests.push(request);
      if (options.dryRun) return undefined;
      const response = await options.graph.request<T>(request.url, {
        method: request.method,
        ...(request.body === undefined ? {} : { body: request.body }),
        idempotent:
          writeOptions.repeatSafe === true || request.method === "PATCH" || request.method === "DELETE",
      });
      if (response.requestId) options.onRequestId(response.requestId);
      return response.status === 204 ? undefined : response.body;
    },
  };
}
