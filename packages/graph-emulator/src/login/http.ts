import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { type AadError, aadErrorBody } from "./errors.ts";

/** Ids every login answer carries: trace id (ours) and correlation id (the client's, when it sent one). */
export interface RequestIds {
  traceId: string;
  correlationId: string;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function requestIds(req: IncomingMessage): RequestIds {
  const sent = req.headers["client-request-id"];
  const correlationId = typeof sent === "string" && GUID.test(sent) ? sent.toLowerCase() : randomUUID();
  return { traceId: randomUUID(), correlationId };
}

/** Headers the identity platform puts on token answers: never cached anywhere. */
function baseHeaders(ids: RequestIds): Record<string, string> {
  return {
    "Cache-Control": "no-store, no-cache",
    Pragma: "no-cache",
    Expires: "-1",
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
    "X-Content-Type-Options": "nosniff",
    "x-ms-request-id": ids.traceId,
    "client-request-id": ids.correlationId,
    "x-ms-ests-server": "2.1.0 - graph-emulator",
  };
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  ids: RequestIds,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...baseHeaders(ids),
    "Content-Type": "application/json; charset=utf-8",
    "Content-Length": String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

/** Discovery documents are public and cacheable, unlike token answers. */
export function sendPublicJson(res: ServerResponse, status: number, body: unknown, ids: RequestIds): void {
  sendJson(res, status, body, ids, {
    "Cache-Control": "max-age=86400, private",
    "Access-Control-Allow-Origin": "*",
    Pragma: "",
    Expires: "",
  });
}

export function sendError(
  res: ServerResponse,
  err: AadError,
  ids: RequestIds,
  now: number,
  origin: string,
): void {
  sendJson(res, err.status, aadErrorBody(err, { ...ids, now, origin }), ids);
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A minimal HTML page, as the sign-in UI shows errors it cannot redirect (bad client or redirect URI). */
export function sendPage(
  res: ServerResponse,
  status: number,
  title: string,
  lines: string[],
  ids: RequestIds,
): void {
  const html = `<!DOCTYPE html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body><h1>${escapeHtml(title)}</h1>${lines
    .map((l) => `<p>${escapeHtml(l)}</p>`)
    .join("")}</body></html>`;
  res.writeHead(status, {
    ...baseHeaders(ids),
    "Content-Type": "text/html; charset=utf-8",
    "Content-Length": String(Buffer.byteLength(html)),
  });
  res.end(html);
}

export function sendErrorPage(res: ServerResponse, err: AadError, ids: RequestIds, now: number): void {
  sendPage(
    res,
    400,
    "Sign in: something went wrong",
    [
      err.message,
      `Trace ID: ${ids.traceId}`,
      `Correlation ID: ${ids.correlationId}`,
      `Timestamp: ${new Date(now).toISOString()}`,
    ],
    ids,
  );
}

export function redirect(res: ServerResponse, location: string, ids: RequestIds): void {
  res.writeHead(302, { ...baseHeaders(ids), Location: location, "Content-Length": "0" });
  res.end();
}

/** Form fields of an `application/x-www-form-urlencoded` body (what the token endpoint accepts). */
export function parseForm(body: Buffer): URLSearchParams {
  return new URLSearchParams(body.toString("utf8"));
}

/** A non-empty form or query parameter, or undefined. */
export function param(params: URLSearchParams, name: string): string | undefined {
  const value = params.get(name);
  return value === null || value === "" ? undefined : value;
}
