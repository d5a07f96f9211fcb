/**
 * Webhook signatures: HMAC-SHA256 over `${timestamp}.${body}` with the subscription's secret, sent as
 * `x-entra-connector-signature: v1=<hex>` beside `x-entra-connector-timestamp` (Unix seconds).
 * Signing the timestamp lets receivers reject replays older than a few minutes (docs/webhooks.md).
 */
import { createHmac, timingSafeEqual } from "node:crypto";

export const SIGNATURE_HEADER = "x-entra-connector-signature";
export const TIMESTAMP_HEADER = "x-entra-connector-timestamp";
export const EVENT_ID_HEADER = "x-entra-connector-event-id";

export function sign(secret: string, timestamp: number, body: string): string {
  return `v1=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`;
}

/**
 * For receivers: true when `signature` is valid for the body and the timestamp is within `toleranceS`.
 *
 * @example verifySignature(secret, req.headers["x-entra-connector-timestamp"], rawBody, req.headers["x-entra-connector-signature"])
 */
export function verifySignature(
  secret: string,
  timestamp: string | undefined,
  body: string,
  signature: string | undefined,
  options: { toleranceS?: number; nowS?: number } = {},
): boolean {
  const ts = Number(timestamp);
  if (!Number.isInteger(ts) || typeof signature !== "string") return false;
  const now = options.nowS ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - ts) > (options.toleranceS ?? 300)) return false;
  const expected = Buffer.from(sign(secret, ts, body));
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
