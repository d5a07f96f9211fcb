/**
 * The contract every part of the connector uses to reach Microsoft Graph. `src/graph` implements it;
 * sync, actions, provisioning and the connection check depend only on this file.
 */

export type HttpMethod = "GET" | "POST" | "PATCH" | "PUT" | "DELETE";

export interface GraphRequestOptions {
  method?: HttpMethod;
  /** Extra headers; Authorization is added by the client and must never be passed here. */
  headers?: Record<string, string>;
  /** JSON body (serialised by the client). */
  body?: unknown;
  signal?: AbortSignal;
  /**
   * An advanced directory query: the client sends `ConsistencyLevel: eventual` and `$count=true`
   * on this request and on every page that follows it.
   */
  advanced?: boolean;
  /** Per-request timeout in ms (default from config). */
  timeoutMs?: number;
  /** Whether a failed write may be retried (POST is retried only when the caller says it is safe). */
  idempotent?: boolean;
}

export interface GraphResponse<T> {
  status: number;
  headers: Record<string, string>;
  body: T;
  requestId: string;
}

/** One page of a collection or a delta round, exactly as Graph returned it. */
export interface GraphPage<T> {
  value: T[];
  /** Present while more pages follow; opaque, followed verbatim. */
  nextLink?: string;
  /** Present on the last page of a delta round; store it to continue incrementally. */
  deltaLink?: string;
  /** `@odata.count` when asked for (first page only). */
  count?: number;
}

export interface BatchRequest {
  id: string;
  method: HttpMethod;
  /** Relative to the version root, e.g. `/groups/{id}/members?$top=999`. */
  url: string;
  headers?: Record<string, string>;
  body?: unknown;
  dependsOn?: string[];
}

export interface BatchResponse<T = unknown> {
  id: string;
  status: number;
  headers: Record<string, string>;
  body: T;
}

export interface ClientStats {
  requests: number;
  /** Resource units as reported by `x-ms-resource-unit` (or estimated from the documented costs). */
  resourceUnits: number;
  throttled: number;
  /** Total ms spent waiting on Retry-After / backoff. */
  throttleWaitMs: number;
  retries: number;
}

export interface GraphClient {
  /** The Graph root requests go to (no version, e.g. https://graph.microsoft.com); links elsewhere are refused. */
  readonly graphRoot: string;
  /** One request; throws a GraphError (see src/errors.ts) on a non-2xx after retries. */
  request<T = unknown>(pathOrUrl: string, options?: GraphRequestOptions): Promise<GraphResponse<T>>;
  /** Convenience for GET returning the body. */
  get<T = unknown>(pathOrUrl: string, options?: GraphRequestOptions): Promise<T>;
  /**
   * Pages of a collection, following `@odata.nextLink` verbatim. `pathOrUrl` may be a path with
   * query options or a nextLink saved earlier (to resume).
   */
  pages<T = unknown>(pathOrUrl: string, options?: GraphRequestOptions): AsyncIterable<GraphPage<T>>;
  /**
   * One delta round: from an initial delta path (e.g. `/users/delta?$select=…`), a saved nextLink,
   * or a saved deltaLink, until the page that carries the new deltaLink. An expired token raises a
   * GraphError whose `deltaExpired` is true.
   */
  delta<T = unknown>(pathOrUrl: string, options?: GraphRequestOptions): AsyncIterable<GraphPage<T>>;
  /** Up to 20 requests per call (more are split); throttled inner requests are retried; results in request order. */
  batch<T = unknown>(
    requests: BatchRequest[],
    options?: { signal?: AbortSignal },
  ): Promise<BatchResponse<T>[]>;
  stats(): ClientStats;
  close(): Promise<void>;
}
