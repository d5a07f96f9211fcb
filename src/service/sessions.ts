/**
 * Browser sign-in for the console: local users' passwords (scrypt, salted, compared in constant
 * time), session ids (random, kept only as a digest), the CSRF token derived from a session, and the
 * session cookie. Pure helpers; the state DB keeps users and sessions (state.ts), the app checks them.
 */
import { createHash, randomBytes, scrypt, timingSafeEqual } from "node:crypto";
import { promisify } from "node:util";

const scryptAsync = promisify(scrypt) as (
  password: string,
  salt: Buffer,
  keylen: number,
  options: { N: number; r: number; p: number; maxmem: number },
) => Promise<Buffer>;

/** One of OWASP's scrypt settings (N=2^15, r=8, p=3): slow on purpose, at 32 MiB per check rather than 128. */
const PARAMS = { N: 2 ** 15, r: 8, p: 3 };
const KEY_BYTES = 32;

export const SESSION_COOKIE = "ec_session";
export const CSRF_HEADER = "x-csrf-token";
/** A console session lasts a working day; signing in again is cheap. */
export const SESSION_TTL_MS = 12 * 3600_000;

/** `scrypt$N$r$p$salt$key` (base64url), so stronger parameters later still verify old hashes. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, PARAMS);
  const { N, r, p } = PARAMS;
  return ["scrypt", N, r, p, salt.toString("base64url"), key.toString("base64url")].join("$");
}

function derive(password: string, salt: Buffer, params: { N: number; r: number; p: number }) {
  return scryptAsync(password.normalize("NFC"), salt, KEY_BYTES, {
    ...params,
    maxmem: 256 * params.N * params.r,
  });
}

/** A hash no password matches, checked for unknown names so they take as long as known ones. */
let decoy: Promise<string> | undefined;

export async function verifyPassword(password: string, stored: string | undefined): Promise<boolean> {
  decoy ??= hashPassword(randomBytes(16).toString("hex"));
  const [scheme, n, r, p, salt, key] = (stored ?? (await decoy)).split("$");
  if (scheme !== "scrypt" || !salt || !key) return false;
  const expected = Buffer.from(key, "base64url");
  const actual = await derive(password, Buffer.from(salt, "base64url"), {
    N: Number(n),
    r: Number(r),
    p: Number(p),
  });
  return actual.length === expected.length && timingSafeEqual(actual, expected) && stored !== undefined;
}

/** A new random secret (session id, sign-in ticket) with its prefix. */
export function newSecret(prefix: string): string {
  return prefix + randomBytes(32).toString("base64url");
}

/**
 * The CSRF token of a session: a digest of its id, so it is tied to the session, needs no storage,
 * and reveals nothing of the id. A page on another site can neither read the cookie nor this token.
 */
export function csrfTokenFor(sessionId: string): string {
  return createHash("sha256").update(`csrf:${sessionId}`).digest("base64url");
}

export function csrfMatches(sessionId: string, given: string | undefined): boolean {
  if (given === undefined) return false;
  const expected = Buffer.from(csrfTokenFor(sessionId));
  const actual = Buffer.from(given);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** The value of one cookie in a `Cookie` header. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** The session cookie: unreadable to scripts, never sent from another site, Secure over https. */
export function sessionCookie(value: string, options: { maxAgeSeconds: number; secure: boolean }): string {
  return [
    `${SESSION_COOKIE}=${value}`,
    "Path=/",
    "HttpOnly",
    "SameSite=Strict",
    `Max-Age=${options.maxAgeSeconds}`,
    ...(options.secure ? ["Secure"] : []),
  ].join("; ");
}
