/**
 * Console sign-in: `POST /api/v1/session` with an API token or a local user's name and password sets
 * the session cookie and answers the session's CSRF token; `GET` reads the session back (a reloaded
 * page needs its CSRF token again); `DELETE` signs out. A one-time link (`/console/sign-in/:ticket`)
 * opens a session too. Failures are slowed down per address and logged, never with the secret.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { createError } from "../../errors.ts";
import { API_ROLES } from "../api-tokens.ts";
import type { ServiceContext } from "../app.ts";
import { route } from "../route.ts";
import { cookieValue, csrfTokenFor, SESSION_COOKIE, SESSION_TTL_MS, sessionCookie } from "../sessions.ts";
import type { FailureThrottle } from "../sign-in-throttle.ts";
import type { SessionInfo, SessionPrincipal } from "../state.ts";

const SessionView = z.object({
  kind: z.enum(["token", "user", "link"]),
  name: z.string(),
  role: z.enum(API_ROLES),
  expiresAt: z.string(),
  /** The connections it may use; absent: all of them. */
  connections: z.array(z.string()).optional(),
  /** Send it back as `x-csrf-token` with every POST, PATCH, PUT and DELETE made with the cookie. */
  csrfToken: z.string(),
});

const view = (sessionId: string, info: SessionInfo) => ({ ...info, csrfToken: csrfTokenFor(sessionId) });

/** Opens a session for a signed-in principal and sets its cookie on the answer. */
export async function openSession(
  ctx: ServiceContext,
  request: FastifyRequest,
  reply: FastifyReply,
  principal: SessionPrincipal,
) {
  const { sessionId, info } = await ctx.state.createSession(principal);
  const maxAgeSeconds = SESSION_TTL_MS / 1000;
  reply.header(
    "set-cookie",
    sessionCookie(sessionId, { maxAgeSeconds, secure: request.protocol === "https" }),
  );
  ctx.logger.info(
    {
      via: principal.kind,
      name: principal.name,
      role: principal.role,
      ip: request.ip,
      requestId: request.id,
    },
    "console sign-in",
  );
  return view(sessionId, info);
}

export function sessionRoutes(ctx: ServiceContext, throttle: FailureThrottle) {
  async function refuse(request: FastifyRequest, via: string, name?: string): Promise<never> {
    ctx.logger.warn(
      { via, ...(name ? { name } : {}), ip: request.ip, requestId: request.id },
      "sign-in refused",
    );
    const delay = throttle.failed(request.ip);
    if (delay > 0) await sleep(delay);
    throw createError("API_SIGN_IN_FAILED", {});
  }
  return [
    route({
      method: "POST",
      path: "/api/v1/session",
      access: "public",
      summary:
        "Sign in to the console with an API token or a local user: sets an HttpOnly session cookie and answers its CSRF token",
      tags: ["session"],
      body: z.union([
        z.object({ token: z.string().min(1).max(512) }).strict(),
        z.object({ username: z.string().min(1).max(64), password: z.string().min(1).max(1024) }).strict(),
      ]),
      response: SessionView,
      handler: async ({ body, request, reply }) => {
        if ("token" in body) {
          const token = await ctx.state.verifyToken(body.token);
          if (token === undefined) return refuse(request, "token");
          throttle.succeeded(request.ip);
          const { name, role, connections } = token;
          return openSession(ctx, request, reply, { kind: "token", name, role, connections });
        }
        const user = await ctx.state.verifyUser(body.username, body.password);
        if (user === undefined) return refuse(request, "user", body.username);
        throttle.succeeded(request.ip);
        const { name, role, connections } = user;
        return openSession(ctx, request, reply, { kind: "user", name, role, connections });
      },
    }),
    route({
      method: "GET",
      path: "/api/v1/session",
      access: "viewer",
      summary: "The console session of this cookie, with its CSRF token",
      tags: ["session"],
      limitedCallers: "unrelated",
      response: SessionView,
      handler: async ({ request }) => {
        const sessionId = cookieValue(request.headers.cookie, SESSION_COOKIE);
        const info = sessionId === undefined ? undefined : await ctx.state.verifySession(sessionId);
        // A bearer token is not a session: there is nothing to read back.
        if (sessionId === undefined || info === undefined) throw createError("API_UNAUTHENTICATED", {});
        return view(sessionId, info);
      },
    }),
    route({
      method: "DELETE",
      path: "/api/v1/session",
      access: "viewer",
      summary: "Sign out: ends the session of this cookie and clears the cookie",
      tags: ["session"],
      limitedCallers: "unrelated",
      status: 204,
      handler: async ({ request, reply }) => {
        const sessionId = cookieValue(request.headers.cookie, SESSION_COOKIE);
        if (sessionId !== undefined) await ctx.state.endSession(sessionId);
        reply.header(
          "set-cookie",
          sessionCookie("", { maxAgeSeconds: 0, secure: request.protocol === "https" }),
        );
        ctx.logger.info(
          { name: request.apiToken?.name, ip: request.ip, requestId: request.id },
          "console sign-out",
        );
        return reply.status(204).send();
      },
    }),
    route({
      method: "GET",
      path: "/console/sign-in/:ticket",
      access: "public",
      summary: "A one-time sign-in link: opens a session and goes to the dashboard",
      hidden: true,
      params: z.object({ ticket: z.string().min(1).max(128) }),
      handler: async ({ params, request, reply }) => {
        const ticket = await ctx.state.redeemSignInTicket(params.ticket);
        if (ticket === undefined) {
          ctx.logger.warn({ via: "link", ip: request.ip, requestId: request.id }, "sign-in refused");
          const delay = throttle.failed(request.ip);
          if (delay > 0) await sleep(delay);
          return reply.redirect("/console/sign-in?link=expired", 303);
        }
        await openSession(ctx, request, reply, { kind: "link", name: "sign-in link", role: ticket.role });
        return reply.redirect("/console/", 303);
      },
    }),
  ];
}
