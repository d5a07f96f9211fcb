/**
 * How Graph routes are declared and dispatched.
 *
 * Adding a route (one file per resource, e.g. graph/users.ts):
 *
 *   export function registerWidgetRoutes(router: Router): void {
 *     router.add({
 *       method: "GET",
 *       path: "/widgets/{id}",            // literal segments match case-insensitively; {name} captures one
 *                                          // segment; "roleTemplateId={tid}" captures after a prefix
 *       permissions: PERMISSIONS.appsRead, // caller needs ANY of these in token roles (app) or scp (delegated)
 *       cost: 1,                           // base resource units (docs/graph.md#throttling); default 1
 *       handler: (ctx) => {
 *         const widget = ctx.lookup("servicePrincipal", ctx.params.id);  // 404 Request_ResourceNotFound if absent
 *         return entityReply(ctx, "widgets/$entity", widget);            // see graph/respond.ts
 *       },
 *     });
 *   }
 *
 * then call it from graph/routes.ts. Every route is served under /v1.0 and /beta. Handlers return a
 * GraphReply (status, headers, JSON body) rather than writing to a socket, so $batch dispatches inner
 * requests through `router.dispatch` exactly like top-level ones: same permissions, same throttling
 * (each inner request is charged on its own), same faults. Throw GraphError (graph/errors.ts) for
 * failures; ODataError from the OData module is converted automatically.
 * Writes are any method but GET; `write: false` marks a POST that only reads (e.g. delta-like POSTs).
 *
 * Path keys: `/users('$x@y.com')` is normalised to `/users/$x@y.com`, and every segment is
 * percent-decoded before matching (so `%23EXT%23` arrives as `#EXT#`).
 */
import type { Faults } from "../faults/faults.ts";
import type { TenantModel } from "../tenant/model.ts";
import type { GraphObject, ObjectKind } from "../tenant/types.ts";
import { requestCost } from "../throttle/cost.ts";
import type { Throttle } from "../throttle/throttle.ts";
import { errorBody, GraphError, graphErrors, toGraphError } from "./errors.ts";

export type HttpMethod = "GET" | "POST" | "PATCH" | "PUT" | "DELETE";

/** Who is calling, from the verified access token. */
export interface Caller {
  appId: string;
  tenantId: string;
  /** Object id of the service principal (app-only) or signed-in user (delegated). */
  oid: string;
  delegated: boolean;
  /** Application permissions (`roles`) or delegated scopes (`scp`, split). */
  permissions: readonly string[];
}

/** One Graph request, from the socket or from inside a $batch. */
export interface GraphRequest {
  method: string;
  version: "v1.0" | "beta";
  /** The path after the version, as sent (still percent-encoded), e.g. `/users/abc/memberOf`. */
  path: string;
  query: URLSearchParams;
  /** Lower-cased header names. */
  headers: Record<string, string | undefined>;
  /** Raw body bytes, or an already-parsed JSON value (batch inner requests carry parsed bodies). */
  body: Buffer | unknown;
  caller: Caller;
  requestId: string;
  clientRequestId: string;
}

export interface GraphReply {
  status: number;
  headers?: Record<string, string>;
  /** A JSON value, or a string sent as text/plain ($count). Absent for 204. */
  body?: unknown;
  /** Drop the connection instead of answering (an injected connection reset). */
  reset?: boolean;
  /** How many objects the answer holds (drives the per-object latency model). */
  objects?: number;
}

/** Everything a handler needs. */
export interface RouteContext {
  request: GraphRequest;
  params: Record<string, string>;
  tenant: TenantModel;
  services: RouterServices;
  /** `https://127.0.0.1:PORT` (Graph root without version), for links and @odata.context. */
  root: string;
  /** `${root}/${version}`. */
  base: string;
  /** The request body parsed as a JSON object; 400 when empty, malformed or not an object. */
  json(): Record<string, unknown>;
  /** A live object by id, honouring replication lag; throws 404 Request_ResourceNotFound. */
  lookup(kind: ObjectKind, id: string): GraphObject;
  /** Whether an object exists and has replicated (for list filtering and reference checks). */
  visible(id: string): boolean;
  now(): number;
}

export interface RouteDef {
  method: HttpMethod;
  path: string;
  permissions: readonly string[];
  /** Base resource-unit cost (default 1). */
  cost?: number;
  /** Whether this is a write for throttling (default: method !== GET). */
  write?: boolean;
  /** Skip throttling and fault injection for this route ($batch charges its inner requests instead). */
  passthrough?: boolean;
  handler(ctx: RouteContext): GraphReply | Promise<GraphReply>;
}

export interface RouterServices {
  tenant(): TenantModel;
  root(): string;
  throttle: Throttle;
  faults: Faults;
  stats: RouteStats;
  now(): number;
  /** The login service's revocation: the user's refresh tokens issued before now fail (AADSTS50173). */
  revokeSignInSessions(userId: string): void;
}

export interface RouteStats {
  requests: number;
  ru: number;
  throttled: number;
  byRoute: Record<string, number>;
}

type Segment = { literal: string } | { param: string; prefix: string };

interface CompiledRoute {
  def: RouteDef;
  segments: Segment[];
  /** Literal segments count double: a literal beats a parameter in the same position. */
  score: number;
  key: string;
}

export class Router {
  readonly services: RouterServices;
  readonly #routes: CompiledRoute[] = [];

  constructor(services: RouterServices) {
    this.services = services;
  }

  add(def: RouteDef): void {
    const segments = splitPattern(def.path);
    const score = segments.reduce((sum, s) => sum + ("literal" in s ? 2 : s.prefix ? 1.5 : 1), 0);
    this.#routes.push({ def, segments, score, key: `${def.method} ${def.path}` });
  }

  /** Answers one request; never throws (every failure becomes a Graph error reply). */
  async dispatch(request: GraphRequest): Promise<GraphReply> {
    const { services } = this;
    services.stats.requests += 1;
    // Every answer carries x-ms-resource-unit, failures included (1 until the route's cost is known).
    let charged: Record<string, string> = { "x-ms-resource-unit": "1" };
    try {
      const segments = splitPath(request.path);
      const match = this.#match(request.method, segments);
      services.stats.byRoute[match.route.key] = (services.stats.byRoute[match.route.key] ?? 0) + 1;
      const { def } = match.route;
      if (
        def.permissions.length > 0 &&
        !def.permissions.some((p) => request.caller.permissions.includes(p))
      ) {
        throw graphErrors.forbidden();
      }
      if (def.passthrough) return await def.handler(this.#context(request, match.params));
      const write = def.write ?? request.method !== "GET";
      const tenant = services.tenant();
      const cost = requestCost(def.cost ?? 1, request.query);
      const decision = services.throttle.charge({
        appId: request.caller.appId,
        tenantId: tenant.info.id,
        tenantUsers: tenant.count("user"),
        cost,
        write,
      });
      if (!decision.ok) {
        services.stats.throttled += 1;
        charged = decision.headers;
        throw graphErrors.tooManyRequests(decision.retryAfterSec, {});
      }
      services.stats.ru += cost;
      charged = decision.headers;
      const injected = this.#injectedFault(request);
      if (injected) return withHeaders(injected, decision.headers);
      const reply = await def.handler(this.#context(request, match.params));
      if (reply.status === 201 && isObjectWithId(reply.body)) services.faults.noteCreated(reply.body.id);
      const delay = services.faults.delayMs({ write, objects: reply.objects ?? 1 });
      if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
      return withHeaders(reply, decision.headers);
    } catch (error) {
      return withHeaders(errorReply(toGraphError(error), request, services.now()), charged);
    }
  }

  #injectedFault(request: GraphRequest): GraphReply | undefined {
    const fault = this.services.faults.pickFault();
    if (!fault) return undefined;
    if (fault === "reset") return { status: 0, reset: true };
    const error =
      fault === "throttle"
        ? graphErrors.tooManyRequests(2, { "x-ms-throttle-information": "ResourceUnitLimitExceeded" })
        : fault === "unavailable"
          ? graphErrors.serviceUnavailable()
          : graphErrors.gatewayTimeout();
    if (fault === "throttle") this.services.stats.throttled += 1;
    return errorReply(error, request, this.services.now());
  }

  #match(method: string, segments: string[]): { route: CompiledRoute; params: Record<string, string> } {
    let best: { route: CompiledRoute; params: Record<string, string> } | undefined;
    let pathMatched = false;
    for (const route of this.#routes) {
      if (route.segments.length !== segments.length) continue;
      const params = matchSegments(route.segments, segments);
      if (!params) continue;
      pathMatched = true;
      if (route.def.method !== method) continue;
      if (!best || route.score > best.route.score) best = { route, params };
    }
    if (best) return best;
    if (pathMatched) throw graphErrors.methodNotAllowed();
    throw graphErrors.unknownSegment(firstUnknownSegment(this.#routes, segments));
  }

  #context(request: GraphRequest, params: Record<string, string>): RouteContext {
    const { services } = this;
    const tenant = services.tenant();
    const root = services.root();
    let parsed: Record<string, unknown> | undefined;
    const visible = (id: string): boolean => !services.faults.isHidden(id);
    return {
      request,
      params,
      tenant,
      services,
      root,
      base: `${root}/${request.version}`,
      json: () => {
        parsed ??= parseJsonObject(request.body);
        return parsed;
      },
      lookup: (kind, id) => {
        const object = tenant.get(kind, id);
        if (!object || !visible(id)) throw graphErrors.notFound(id);
        return object;
      },
      visible,
      now: services.now,
    };
  }
}

/** A Graph error as a reply: the §3 envelope with this request's ids, plus the error's own headers. */
export function errorReply(error: GraphError, request: GraphRequest, now: number): GraphReply {
  return { status: error.status, body: errorBody(error, request, now), headers: error.headers ?? {} };
}

function withHeaders(reply: GraphReply, headers: Record<string, string>): GraphReply {
  return { ...reply, headers: { ...headers, ...(reply.headers ?? {}) } };
}

function isObjectWithId(value: unknown): value is { id: string } {
  return typeof value === "object" && value !== null && typeof (value as { id?: unknown }).id === "string";
}

function parseJsonObject(body: unknown): Record<string, unknown> {
  let value: unknown = body;
  if (body === undefined || (Buffer.isBuffer(body) && body.length === 0)) throw graphErrors.emptyBody();
  if (Buffer.isBuffer(body)) {
    try {
      value = JSON.parse(body.toString("utf8"));
    } catch {
      throw graphErrors.malformedJson();
    }
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw graphErrors.malformedJson();
  return value as Record<string, unknown>;
}

function splitPattern(path: string): Segment[] {
  return path
    .split("/")
    .filter((s) => s.length > 0)
    .map((s) => {
      const m = /^([^{]*)\{(\w+)\}$/.exec(s);
      return m ? { prefix: (m[1] ?? "").toLowerCase(), param: m[2] as string } : { literal: s.toLowerCase() };
    });
}

/** Splits a request path into decoded segments, turning `name('key')` / `name(key)` into two segments. */
export function splitPath(path: string): string[] {
  const out: string[] = [];
  for (const raw of path.split("/")) {
    if (raw.length === 0) continue;
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      throw graphErrors.invalidRequest(`Invalid URL segment '${raw}'.`);
    }
    const key = /^([A-Za-z.]+)\((.*)\)$/.exec(segment);
    if (key && !segment.includes("=")) {
      out.push(key[1] as string);
      const inner = key[2] as string;
      out.push(
        inner.startsWith("'") && inner.endsWith("'") ? inner.slice(1, -1).replaceAll("''", "'") : inner,
      );
    } else {
      out.push(segment);
    }
  }
  return out;
}

function matchSegments(pattern: Segment[], segments: string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i] as Segment;
    const s = segments[i] as string;
    if ("literal" in p) {
      if (p.literal !== s.toLowerCase()) return undefined;
    } else if (p.prefix) {
      if (!s.toLowerCase().startsWith(p.prefix) || s.length === p.prefix.length) return undefined;
      params[p.param] = s.slice(p.prefix.length);
    } else {
      params[p.param] = s;
    }
  }
  return params;
}

/** The segment Graph would name in "Resource not found for the segment '…'": the first no route knows. */
function firstUnknownSegment(routes: CompiledRoute[], segments: string[]): string {
  for (let depth = 0; depth < segments.length; depth++) {
    const prefix = segments.slice(0, depth + 1);
    const known = routes.some(
      (r) => r.segments.length > depth && matchSegments(r.segments.slice(0, depth + 1), prefix) !== undefined,
    );
    if (!known) return segments[depth] as string;
  }
  return segments[segments.length - 1] ?? "";
}

/** Re-exported so route files need one import for errors. */
export { GraphError, graphErrors };
