/**
 * API tokens: random bearer secrets shown once at creation and kept only as a SHA-256 digest. A token
 * carries 256 random bits, so a plain digest is as safe as a slow hash here and costs a microsecond
 * per request; what a token may do is its role, and where: all connections, or only those it names.
 */
import { createHash, randomBytes } from "node:crypto";

export const API_ROLES = ["viewer", "operator", "admin"] as const;
export type ApiRole = (typeof API_ROLES)[number];

/** Who sent a request: an API token's name, or a console session's (`user:<name>` for a local user). */
export interface Caller {
  name: string;
  role: ApiRole;
  /** The connections it may use; undefined: all of them, and the routes about the whole service. */
  connections?: readonly string[] | undefined;
}

/** Whether the caller may see and use connection `id`. */
export function mayUseConnection(caller: Caller | undefined, id: string): boolean {
  return caller?.connections === undefined || caller.connections.includes(id);
}

/** viewer reads; operator also runs syncs, dry runs and triggers; admin also manages the service. */
export function roleAllows(held: ApiRole, needed: ApiRole): boolean {
  return API_ROLES.indexOf(held) >= API_ROLES.indexOf(needed);
}

const PREFIX = "ecs_";

/** A new token and the digest to store. */
export function newApiToken(): { token: string; digest: string } {
  const token = PREFIX + randomBytes(32).toString("base64url");
  return { token, digest: digestOf(token) };
}

export function digestOf(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/** Reads `Authorization: Bearer <token>`; anything else is no token. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
  return match?.[1];
}
