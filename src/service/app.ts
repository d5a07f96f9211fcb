/**
 * The service's HTTP server: every route declared once (src/service/routes), authenticated by API
 * token or console session (whose changes need its CSRF token), role and the connections the caller
 * may use, validated with the library's zod schemas, answered in one error shape, timed for
 * /metrics and tagged with a request id.
 */
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import Fastify, { type FastifyInstance, type FastifyRequest } from "fastify";
import { createError, isConnectorError, toConnectorError } from "../errors.ts";
import type { Logger } from "../log/logger.ts";
import { bearerToken, type Caller, mayUseConnection, roleAllows } from "./api-tokens.ts";
import type { ConnectionAdmin } from "./connection-admin.ts";
import type { ConnectionRegistry } from "./connections.ts";
import type { Jobs } from "./jobs.ts";
import type { MappingSchedules } from "./mapping-schedules.ts";
import type { ServiceMetrics } from "./metrics.ts";
import { type Access, connectionParam, parsePart, type RouteSpec } from "./route.ts";
import { allRoutes } from "./routes/index.ts";
import { CSRF_HEADER, cookieValue, csrfMatches, SESSION_COOKIE } from "./sessions.ts";
import { failureThrottle } from "./sign-in-throttle.ts";
import type { ServiceState } from "./state.ts";
import type { ServiceTriggers } from "./triggers.ts";

export interface ServiceContext {
  state: ServiceState;
  connections: ConnectionRegistry;
  /** Adds, changes, tests and removes managed connections. */
  admin: ConnectionAdmin;
  jobs: Jobs;
  metrics: ServiceMetrics;
  logger: Logger;
  version: string;
  /** /metrics without a token (for a scraper inside a trusted network). */
  metricsOpen: boolean;
  /** The next scheduled sync of a connection, if it has a schedule. */
  nextRun?: (connectionId: string) => Date | undefined;
  /** The mappings' schedules; absent, none runs by itself (tests of other routes). */
  mappingSchedules?: Pick<MappingSchedules, "next" | "refresh">;
  /** Webhook delivery (the `deliver` job); routes make their own when absent (tests of other routes). */
  triggers?: ServiceTriggers;
  /** https (PEM certificate and key) and the trusted reverse proxies; default plain http, no proxy. */
  server?: { https?: { cert: Buffer; key: Buffer }; trustProxy?: string[] };
  /** Answers /readyz: false while starting or stopping. */
  ready(): boolean;
  /** A worker answers only health and metrics: the API is the api role's. Default all. */
  role?: "all" | "api" | "worker";
  now?: () => number;
}

const REQUEST_ID = /^[\w.:-]{1,128}$/;
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * The caller of a request: its bearer token, else its session cookie. A session's state-changing
 * request must carry the session's CSRF token, since a browser attaches the cookie by itself.
 */
async function callerOf(request: FastifyRequest, state: ServiceState): Promise<Caller | undefined> {
  const token = bearerToken(request.headers.authorization);
  if (token !== undefined) return state.verifyToken(token);
  const sessionId = cookieValue(request.headers.cookie, SESSION_COOKIE);
  const session = sessionId === undefined ? undefined : await state.verifySession(sessionId);
  if (sessionId === undefined || session === undefined) return undefined;
  const csrf = request.headers[CSRF_HEADER];
  if (
    !SAFE_METHODS.has(request.method) &&
    !csrfMatches(sessionId, typeof csrf === "string" ? csrf : undefined)
  ) {
    throw createError("API_CSRF_TOKEN_INVALID", {});
  }
  return {
    name: session.kind === "user" ? `user:${session.name}` : session.name,
    role: session.role,
    connections: session.connections,
  };
}

/**
 * Holds a caller limited to some connections to them, for every route whatever its handler does: a
 * route about a connection it may not use answers as for a connection that does not exist (a 403 would
 * tell it exists); a route about the whole service refuses it, unless the route filters its answer
 * or names no connection.
 */
function checkConnections(
  request: FastifyRequest,
  caller: Caller,
  limited: RouteSpec["limitedCallers"],
): void {
  if (caller.connections === undefined) return;
  const param = connectionParam(request.routeOptions.url ?? "");
  if (param !== undefined) {
    const id = String((request.params as Record<string, unknown>)[param] ?? "");
    if (!mayUseConnection(caller, id)) throw createError("CONNECTION_NOT_FOUND", { id });
    return;
  }
  if (limited === undefined) {
    throw createError("API_CONNECTIONS_LIMITED", {
      token: caller.name,
      connections: caller.connections.join(", "),
    });
  }
}

declare module "fastify" {
  interface FastifyContextConfig {
    access?: Access;
    limitedCallers?: RouteSpec["limitedCallers"];
  }
  interface FastifyRequest {
    apiToken?: Caller;
  }
}

export function buildApp(ctx: ServiceContext): { app: FastifyInstance; routes: readonly RouteSpec[] } {
  const app = Fastify({
    ...(ctx.server?.https ? { https: ctx.server.https } : {}),
    // Only the named proxies' X-Forwarded-For is believed: request.ip (and so the sign-in throttle
    // and the audit log) is the client's behind them, the peer's address otherwise.
    ...(ctx.server?.trustProxy?.length ? { trustProxy: ctx.server.trustProxy } : {}),
    logger: false,
    // A caller's own id is kept when it is a plain token, so its logs and ours line up.
    genReqId: (req) => {
      const given = req.headers["x-request-id"];
      return typeof given === "string" && REQUEST_ID.test(given) ? given : randomUUID();
    },
    bodyLimit: 1024 * 1024,
  });
  // A mapping may be sent as the YAML file it is (POST …/mappings): the route parses the text.
  app.addContentTypeParser(["application/yaml", "text/yaml"], { parseAs: "string" }, (_request, body, done) =>
    done(null, body),
  );
  const throttle = failureThrottle(ctx.now ?? Date.now);
  const routes = allRoutes(ctx, throttle);
  const started = new WeakMap<FastifyRequest, bigint>();

  app.addHook("onRequest", async (request, reply) => {
    started.set(request, process.hrtime.bigint());
    reply.header("x-request-id", request.id);
    const access = request.routeOptions.config.access ?? "public";
    if (access === "public" || (request.url === "/metrics" && ctx.metricsOpen)) return;
    const info = await callerOf(request, ctx.state);
    if (info === undefined) {
      const delay = throttle.failed(request.ip);
      if (delay > 0) await sleep(delay);
      throw createError("API_UNAUTHENTICATED", {});
    }
    throttle.succeeded(request.ip);
    if (!roleAllows(info.role, access)) {
      throw createError("API_FORBIDDEN", { token: info.name, held: info.role, needed: access });
    }
    checkConnections(request, info, request.routeOptions.config.limitedCallers);
    request.apiToken = info;
  });

  app.addHook("onResponse", async (request, reply) => {
    const start = started.get(request);
    if (start === undefined) return;
    ctx.metrics.httpDuration.observe(
      {
        method: request.method,
        route: request.routeOptions.url ?? "unmatched",
        status: String(reply.statusCode),
      },
      Number(process.hrtime.bigint() - start) / 1e9,
    );
  });

  app.setNotFoundHandler((request) => {
    throw createError("API_ROUTE_NOT_FOUND", { method: request.method, path: request.url.split("?")[0]! });
  });

  app.setErrorHandler((err, request, reply) => {
    // Fastify's own refusals (malformed JSON, body too large, bad content type) carry a 4xx status.
    const fastifyStatus = isConnectorError(err) ? undefined : (err as { statusCode?: number }).statusCode;
    const e =
      fastifyStatus !== undefined && fastifyStatus >= 400 && fastifyStatus < 500
        ? createError("API_INPUT_INVALID", { part: "request", problems: (err as Error).message })
        : toConnectorError(err);
    if (e.code === "INTERNAL") ctx.logger.error({ err, requestId: request.id }, "request failed");
    const status = fastifyStatus === 413 || fastifyStatus === 415 ? fastifyStatus : e.status;
    reply.status(status).send({
      error: { code: e.code, message: e.message, ...(e.fix ? { fix: e.fix } : {}), requestId: request.id },
    });
  });

  for (const spec of routes) {
    app.route({
      method: spec.method,
      url: spec.path,
      config: { access: spec.access, limitedCallers: spec.limitedCallers },
      handler: async (request, reply) => {
        const result = await spec.handler({
          params: parsePart(spec.params, request.params, "path parameter"),
          query: parsePart(spec.query, request.query, "query parameter"),
          body: parsePart(spec.body, request.body, "body"),
          token: request.apiToken,
          requestId: request.id,
          request,
          reply,
        });
        if (reply.sent) return reply;
        reply.status(spec.status ?? 200);
        if (spec.produces) reply.type(spec.produces);
        return result;
      },
    });
  }
  return { app, routes };
}
