/**
 * How the service declares a route: method, path, the role it needs and zod schemas for its input and
 * output. One declaration drives validation, the role check and the OpenAPI document, so the document
 * cannot drift from what the server does.
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import type { z } from "zod";
import { createError } from "../errors.ts";
import type { ApiRole, Caller } from "./api-tokens.ts";

export type Access = ApiRole | "public";

export interface RouteInput<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  token: Caller | undefined;
  requestId: string;
  request: FastifyRequest;
  reply: FastifyReply;
}

export interface RouteSpec<P = unknown, Q = unknown, B = unknown> {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  /** Fastify form: `/api/v1/connections/:id`. */
  path: string;
  access: Access;
  summary: string;
  tags?: string[];
  params?: z.ZodType<P>;
  query?: z.ZodType<Q>;
  body?: z.ZodType<B>;
  /** The success status and its body's schema; `produces` for non-JSON answers. */
  status?: number;
  response?: z.ZodType;
  produces?: string;
  /**
   * Whether a caller limited to some connections may use a route that is not under
   * `/connections/:id` (those check the id, whatever this says): `filtered`, its handler answers only
   * the caller's connections; `unrelated`, its answer names no connection. Unset: it is about the whole
   * service, and such a caller is refused.
   */
  limitedCallers?: "filtered" | "unrelated";
  /** Leaves the route out of the OpenAPI document (the document itself, the docs page). */
  hidden?: boolean;
  handler(input: RouteInput<P, Q, B>): Promise<unknown> | unknown;
}

/** The path parameter naming the connection a route is about (`/connections/:id/…`), if it is about one. */
export function connectionParam(path: string): string | undefined {
  return /\/connections\/:(\w+)(?:\/|$)/.exec(path)?.[1];
}

/** Keeps P, Q and B inferred from the schemas at each declaration. */
export function route<P, Q, B>(spec: RouteSpec<P, Q, B>): RouteSpec<unknown, unknown, unknown> {
  return spec as unknown as RouteSpec<unknown, unknown, unknown>;
}

/** Parses one part of a request; a failure names every field and what it expects. */
export function parsePart<T>(schema: z.ZodType<T> | undefined, value: unknown, part: string): T {
  if (schema === undefined) return undefined as T;
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const problems = result.error.issues
    .map((issue) => `${issue.path.length > 0 ? issue.path.join(".") : part}: ${issue.message}`)
    .join("; ");
  throw createError("API_INPUT_INVALID", { part, problems });
}
