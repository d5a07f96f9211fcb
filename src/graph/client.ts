import type { Dispatcher } from "undici";
import { createTokenProvider } from "../auth/credentials.ts";
import type { TokenProvider } from "../auth/types.ts";
import type { ConnectorConfig } from "../config/load.ts";
import { createError, toConnectorError } from "../errors.ts";
import { type Logger, silentLogger } from "../log/logger.ts";
import { runBatch } from "./batch.ts";
import type { GraphCall, Interceptor, RawResponse, Send } from "./call.ts";
import { batchCharge, type Charge, requestCharge } from "./cost.ts";
import { toGraphError } from "./graph-error.ts";
import { createDispatcher } from "./http.ts";
import { authInterceptor } from "./interceptors/auth.ts";
import { loggingInterceptor } from "./interceptors/logging.ts";
import { retryInterceptor } from "./interceptors/retry.ts";
import { statsInterceptor } from "./interceptors/stats.ts";
import { throttleInterceptor } from "./interceptors/throttle.ts";
import { Limiter, type SizeClass } from "./limiter.ts";
import { createSend } from "./send.ts";
import { emptyStats } from "./stats.ts";
import { createTenantSizer } from "./tenant-size.ts";
import type {
  BatchRequest,
  BatchResponse,
  GraphClient,
  GraphPage,
  GraphRequestOptions,
  GraphResponse,
} from "./types.ts";
import { resolveGraphUrl, withCount } from "./url.ts";

export type GraphClientConfig = Pick<
  ConnectorConfig,
  "graphUrl" | "graphVersion" | "timeoutMs" | "maxRetries" | "concurrency" | "tenantSize"
>;

export interface GraphClientDeps {
  tokens: TokenProvider;
  dispatcher?: Dispatcher;
  logger?: Logger;
  /** Share one limiter between clients of the same app + tenant. */
  limiter?: Limiter;
  /** For deterministic backoff in tests. */
  random?: () => number;
}

/** Without an injected provider the config must carry a credential to sign in with. */
function ownTokens(config: GraphClientConfig, dispatcher: Dispatcher, logger: Logger): TokenProvider {
  if (!("credential" in config)) {
    throw createError("USAGE", {
      detail: "createGraphClient needs a full ConnectorConfig or a token provider",
    });
  }
  return createTokenProvider(config as ConnectorConfig, { dispatcher, logger });
}

/** Whatever was waiting (limiter, backoff, token) when the caller gave up, the answer is a cancellation. */
function asCancelled(err: unknown, signal: AbortSignal | undefined): unknown {
  return signal?.aborted ? toConnectorError(err, signal) : err;
}

/** The connector's client: the GraphClient contract plus what it learned about the tenant. */
export interface ConnectorGraphClient extends GraphClient {
  /** The tenant's size class: as configured, or counted on first use (`auto`). */
  tenantSize(signal?: AbortSignal): Promise<SizeClass>;
}

const IDEMPOTENT_METHODS = new Set(["GET", "PUT", "PATCH", "DELETE"]);

interface PageBody {
  value?: unknown[];
  "@odata.nextLink"?: string;
  "@odata.deltaLink"?: string;
  "@odata.count"?: number;
}

/**
 * A GraphClient over one keep-alive pool: `send()` wrapped by retry → throttle → auth → logging →
 * stats interceptors. Paths are resolved against the configured Graph root and version; links Graph
 * returns are followed verbatim.
 *
 * @example
 *   const graph = createGraphClient(config);
 *   for await (const page of graph.pages("/users?$select=id,displayName")) console.log(page.value.length);
 */
export function createGraphClient(
  config: GraphClientConfig | ConnectorConfig,
  deps?: Partial<GraphClientDeps>,
): ConnectorGraphClient {
  const ownsDispatcher = deps?.dispatcher === undefined;
  const dispatcher =
    deps?.dispatcher ?? createDispatcher({ caFile: "caFile" in config ? config.caFile : undefined });
  const logger = deps?.logger ?? silentLogger();
  const tokens = deps?.tokens ?? ownTokens(config, dispatcher, logger);
  const limiter =
    deps?.limiter ?? new Limiter({ tenantSize: config.tenantSize, concurrency: config.concurrency });
  const stats = emptyStats();
  const retryOpts: Parameters<typeof retryInterceptor>[0] = { maxRetries: config.maxRetries, limiter, stats };
  if (deps?.random) retryOpts.random = deps.random;

  const chain: Interceptor[] = [
    throttleInterceptor(limiter),
    authInterceptor(tokens),
    loggingInterceptor(logger),
    statsInterceptor(stats),
  ];
  const once: Send = chain.reduceRight<Send>((next, wrap) => wrap(next), createSend(dispatcher));
  const send: Send = retryInterceptor(retryOpts)(once);
  // One attempt only: a refused or throttled count falls back to the smallest budget at once.
  const sizer = createTenantSizer(
    config.tenantSize,
    limiter,
    () => once(prepare("/users/$count", { headers: { accept: "text/plain", ConsistencyLevel: "eventual" } })),
    logger,
  );

  function prepare(pathOrUrl: string, o: GraphRequestOptions, charge?: Charge): GraphCall {
    const method = o.method ?? "GET";
    let url = resolveGraphUrl(config.graphUrl, config.graphVersion, pathOrUrl);
    const headers: Record<string, string> = { accept: "application/json" };
    if (o.headers) {
      for (const [k, v] of Object.entries(o.headers)) {
        if (k.toLowerCase() === "authorization") {
          throw createError("USAGE", { detail: "pass no Authorization header; the client adds the token" });
        }
        headers[k] = v;
      }
    }
    if (o.advanced) {
      headers["ConsistencyLevel"] = "eventual";
      url = withCount(url);
    }
    let body: string | undefined;
    if (o.body !== undefined) {
      body = JSON.stringify(o.body);
      if (!Object.keys(headers).some((k) => k.toLowerCase() === "content-type"))
        headers["content-type"] = "application/json";
    }
    return {
      method,
      url,
      headers,
      body,
      signal: o.signal,
      timeoutMs: o.timeoutMs ?? config.timeoutMs,
      idempotent: o.idempotent ?? IDEMPOTENT_METHODS.has(method),
      charge: charge ?? requestCharge(method, url),
      attempts: 0,
    };
  }

  async function exchange<T>(
    pathOrUrl: string,
    o: GraphRequestOptions,
    delta: boolean,
    charge?: Charge,
  ): Promise<GraphResponse<T>> {
    const call = prepare(pathOrUrl, o, charge);
    let res: RawResponse;
    try {
      await sizer.ready(o.signal);
      res = await send(call);
    } catch (err) {
      throw asCancelled(err, o.signal);
    }
    if (res.status >= 200 && res.status < 300) {
      return { status: res.status, headers: res.headers, body: res.body as T, requestId: res.requestId };
    }
    throw toGraphError(call, res, call.attempts, delta);
  }

  async function* follow<T>(
    start: string,
    o: GraphRequestOptions,
    delta: boolean,
  ): AsyncIterable<GraphPage<T>> {
    let next: string | undefined = start;
    while (next !== undefined) {
      const res: GraphResponse<PageBody | null> = await exchange<PageBody | null>(
        next,
        { ...o, method: "GET" },
        delta,
      );
      const b: PageBody = res.body ?? {};
      const page: GraphPage<T> = { value: (b.value ?? []) as T[] };
      if (b["@odata.nextLink"]) page.nextLink = b["@odata.nextLink"];
      if (b["@odata.deltaLink"]) page.deltaLink = b["@odata.deltaLink"];
      if (typeof b["@odata.count"] === "number") page.count = b["@odata.count"];
      yield page;
      next = page.nextLink;
    }
  }

  return {
    request: <T>(pathOrUrl: string, options: GraphRequestOptions = {}) =>
      exchange<T>(pathOrUrl, options, false),
    async get<T>(pathOrUrl: string, options: GraphRequestOptions = {}): Promise<T> {
      return (await exchange<T>(pathOrUrl, { ...options, method: "GET" }, false)).body;
    },
    pages: <T>(pathOrUrl: string, options: GraphRequestOptions = {}) => follow<T>(pathOrUrl, options, false),
    delta: <T>(pathOrUrl: string, options: GraphRequestOptions = {}) => follow<T>(pathOrUrl, options, true),
    batch<T>(requests: BatchRequest[], options: { signal?: AbortSignal } = {}): Promise<BatchResponse<T>[]> {
      const ids = new Set(requests.map((r) => r.id));
      if (ids.size !== requests.length)
        throw createError("USAGE", { detail: "batch request ids must be unique" });
      const allReads = requests.every((r) => r.method === "GET");
      const batchDeps: Parameters<typeof runBatch>[0] = {
        pause: (ms) => limiter.pause(ms),
        maxRetries: config.maxRetries,
        stats,
        post: async (chunk, signal) => {
          const opts: GraphRequestOptions = {
            method: "POST",
            body: { requests: chunk },
            idempotent: allReads,
          };
          if (signal) opts.signal = signal;
          const res = await exchange<{ responses?: BatchResponse[] }>(
            "/$batch",
            opts,
            false,
            batchCharge(chunk),
          );
          return { responses: res.body?.responses ?? [], requestId: res.requestId };
        },
      };
      if (deps?.random) batchDeps.random = deps.random;
      return runBatch(batchDeps, requests, options.signal).catch((err: unknown) => {
        throw asCancelled(err, options.signal);
      }) as Promise<BatchResponse<T>[]>;
    },
    graphRoot: config.graphUrl,
    stats: () => ({ ...stats }),
    tenantSize: (signal) => sizer.ready(signal),
    async close() {
      if (ownsDispatcher) await dispatcher.close();
    },
  };
}
