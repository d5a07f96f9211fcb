/**
 * Opaque page tokens: base64url(JSON) plus an HMAC, so a client cannot forge or edit one and must
 * follow @odata.nextLink as Graph requires. A tampered, truncated, foreign or expired token is answered
 * the way Graph answers a stale one: 400 Directory_ExpiredPageToken.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { expiredPageToken } from "./errors.ts";

const VERSION = 1;
// One key per process: tokens do not outlive the emulator, as they would not outlive a service reset.
const PROCESS_KEY = randomBytes(32);
const MAC_BYTES = 16;

export interface SkipTokenOptions {
  /** HMAC key; defaults to a random per-process key. */
  readonly key?: Uint8Array;
  /** Lifetime in ms; the token is refused once it has passed. */
  readonly ttlMs?: number;
  /** Current time in ms (for tests); defaults to Date.now(). */
  readonly now?: number;
}

// Compared in its text form: base64url decoding ignores a final character's spare bits, so comparing
// decoded bytes would accept some edited tokens.
function mac(key: Uint8Array, payload: string): Buffer {
  const digest = createHmac("sha256", key).update(payload).digest().subarray(0, MAC_BYTES);
  return Buffer.from(digest.toString("base64url"));
}

/**
 * @example decodeSkipToken(encodeSkipToken({ offset: 100 })) → { offset: 100 }
 */
export function encodeSkipToken(state: object, options: SkipTokenOptions = {}): string {
  const envelope: { v: number; s: object; e?: number } = { v: VERSION, s: state };
  if (options.ttlMs !== undefined) envelope.e = (options.now ?? Date.now()) + options.ttlMs;
  const payload = Buffer.from(JSON.stringify(envelope)).toString("base64url");
  return `${payload}.${mac(options.key ?? PROCESS_KEY, payload).toString()}`;
}

/** Returns the state a token carries, or throws ODataError 400 Directory_ExpiredPageToken. */
export function decodeSkipToken(token: string, options: SkipTokenOptions = {}): object {
  const dot = token.indexOf(".");
  if (dot <= 0) throw expiredPageToken();
  const payload = token.slice(0, dot);
  const given = Buffer.from(token.slice(dot + 1));
  const expected = mac(options.key ?? PROCESS_KEY, payload);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw expiredPageToken();
  let envelope: unknown;
  try {
    envelope = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
  } catch {
    throw expiredPageToken();
  }
  if (typeof envelope !== "object" || envelope === null) throw expiredPageToken();
  const { v, s, e } = envelope as { v?: unknown; s?: unknown; e?: unknown };
  if (v !== VERSION || typeof s !== "object" || s === null) throw expiredPageToken();
  if (typeof e === "number" && (options.now ?? Date.now()) > e) throw expiredPageToken();
  return s;
}

/**
 * The query string of a list's @odata.nextLink: the client's own parameters in their order, then
 * `$skiptoken` last (§13). `$` and `,` stay readable as in Graph's links; values are percent-encoded.
 * @example nextLinkQuery(new URLSearchParams("$top=5&$skiptoken=old"), "new") → "$top=5&$skiptoken=new"
 */
export function nextLinkQuery(params: URLSearchParams, skiptoken: string): string {
  const parts: string[] = [];
  const encode = (s: string) => encodeURIComponent(s).replaceAll("%24", "$").replaceAll("%2C", ",");
  for (const [key, value] of params) {
    if (key.toLowerCase() !== "$skiptoken") parts.push(`${encode(key)}=${encode(value)}`);
  }
  parts.push(`$skiptoken=${encodeURIComponent(skiptoken)}`);
  return parts.join("&");
}
