/**
 * The emulator's one port: `/_emulator/*` control API, then the login service, then Graph under
 * `/v1.0` and `/beta` (bearer token verified by the login service). Every failure is answered the way
 * the real service answers it; nothing here ever sends a stack trace or crashes the process.
 */
import { randomUUID } from "node:crypto";
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { Socket } from "node:net";
import { errorBody, GraphError, graphErrors } from "./graph/errors.ts";
import type { Caller, GraphReply, GraphRequest, Router } from "./graph/router.ts";
import type { LoginService } from "./login/index.ts";

/** Graph's JSON content type, parameters and all (§13). */
export const GRAPH_JSON =
  "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8";

/** Bodies above this are refused (Graph's own limit for directory writes is far lower). */
const MAX_BODY_BYTES = 8 * 1024 * 1024;

/** Graph's front door refuses longer request URLs with 414; Node's parser is given room to read them. */
const MAX_URL_BYTES = 16 * 1024;
/** Request line and headers Node's parser accepts, so a URL over MAX_URL_BYTES still reaches `handle`. */
const MAX_HEADER_BYTES = 64 * 1024;

export interface ServerParts {
  router: Router;
  login: LoginService;
  /** Handles `/_emulator/...`; receives the path after the prefix. */
  control(method: string, path: string, body: Buffer, res: ServerResponse): Promise<void>;
  /** The tenant the emulator serves (tokens for another tenant are refused). */
  tenantId(): string;
  now(): number;
  log(message: string): void;
}

export interface EmulatorServer {
  server: Server;
  sockets: Set<Socket>;
}

export function createEmulatorServer(
  parts: ServerParts,
  tls: { key: string; cert: string } | undefined,
): EmulatorServer {
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    handle(parts, req, res).catch((error: unknown) => {
      // A client that hung up mid-request (an aborted upload) is no failure here, and nobody is left to answer.
      if (clientGone(req, error)) return;
      parts.log(
        `unexpected failure answering ${req.method} ${req.url}: ${(error as Error)?.message ?? error}`,
      );
      if (!res.headersSent)
        sendJson(res, 500, errorBody(graphErrors.internal(), ids(req), parts.now()), ids(req));
      else res.destroy();
    });
  };
  const server = tls
    ? createHttpsServer({ key: tls.key, cert: tls.cert, maxHeaderSize: MAX_HEADER_BYTES }, handler)
    : createHttpServer({ maxHeaderSize: MAX_HEADER_BYTES }, handler);
  // Keep-alive friendly: clients pool connections; idle ones stay open a while, as Graph's front door does.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  const sockets = new Set<Socket>();
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  // What Node's parser refuses is answered as Graph's front door does: a 400 in Graph's error shape.
  server.on("clientError", (error: NodeJS.ErrnoException, socket) => {
    if (!socket.writable || error.code === "ECONNRESET") {
      socket.destroy();
      return;
    }
    const message =
      error.code === "HPE_HEADER_OVERFLOW"
        ? "HTTP Error 400. The size of the request headers is too long."
        : "HTTP Error 400. The request is badly formed.";
    const requestId = randomUUID();
    const body = errorBody(
      new GraphError(400, "UnknownError", message),
      { requestId, clientRequestId: requestId },
      parts.now(),
    );
    const payload = Buffer.from(JSON.stringify(body));
    const head =
      `HTTP/1.1 400 Bad Request\r\nContent-Type: ${GRAPH_JSON}\r\nContent-Length: ${payload.length}\r\n` +
      `request-id: ${requestId}\r\nclient-request-id: ${requestId}\r\nConnection: close\r\n\r\n`;
    socket.end(Buffer.concat([Buffer.from(head), payload]));
  });
  return { server, sockets };
}

function clientGone(req: IncomingMessage, error: unknown): boolean {
  return req.destroyed && (error as NodeJS.ErrnoException | undefined)?.code === "ECONNRESET";
}

async function handle(parts: ServerParts, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (Buffer.byteLength(req.url ?? "") > MAX_URL_BYTES) {
    const error = new GraphError(414, "UnknownError", "HTTP Error 414. The request URL is too long.");
    sendJson(res, 414, errorBody(error, ids(req), parts.now()), ids(req), { Connection: "close" });
    return;
  }
  const url = new URL(req.url ?? "/", "https://emulator.invalid");
  const body = await readBody(req);
  if (body === undefined) {
    const error = new GraphError(
      413,
      "Request_EntityTooLarge",
      "The request is larger than the emulator accepts.",
    );
    sendJson(res, 413, errorBody(error, ids(req), parts.now()), ids(req));
    return;
  }
  if (url.pathname === "/_emulator" || url.pathname.startsWith("/_emulator/")) {
    await parts.control(
      req.method ?? "GET",
      url.pathname.slice("/_emulator".length).replace(/^\//, ""),
      body,
      res,
    );
    return;
  }
  if (await parts.login.handle(req, res, url, body)) return;
  const version = /^\/(v1\.0|beta)(\/.*)?$/i.exec(url.pathname);
  const requestIds = ids(req);
  if (!version) {
    const segment = url.pathname.split("/")[1] ?? "";
    const error = graphErrors.invalidRequest(`Invalid version: ${segment}`);
    sendJson(res, 400, errorBody(error, requestIds, parts.now()), requestIds);
    return;
  }
  const verified = parts.login.verifyAccessToken(req.headers.authorization);
  if (!verified.ok || verified.claims.tid !== parts.tenantId()) {
    const message = verified.ok ? "Access token validation failure. Invalid audience." : verified.message;
    sendJson(res, 401, errorBody(graphErrors.unauthenticated(message), requestIds, parts.now()), requestIds, {
      "WWW-Authenticate": `Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"`,
    });
    return;
  }
  const claims = verified.claims;
  const caller: Caller = {
    appId: claims.appid,
    tenantId: claims.tid,
    oid: claims.oid,
    delegated: claims.idtyp === "user",
    permissions:
      claims.idtyp === "user" ? (claims.scp ?? "").split(" ").filter(Boolean) : (claims.roles ?? []),
  };
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(req.headers))
    headers[name] = Array.isArray(value) ? value.join(", ") : value;
  const request: GraphRequest = {
    method: (req.method ?? "GET").toUpperCase(),
    version: (version[1] as string).toLowerCase() === "beta" ? "beta" : "v1.0",
    path: version[2] ?? "/",
    query: url.searchParams,
    headers,
    body,
    caller,
    ...requestIds,
  };
  const reply = await parts.router.dispatch(request);
  if (reply.reset) {
    req.socket.destroy();
    return;
  }
  writeReply(res, reply, requestIds);
}

function ids(req: IncomingMessage): { requestId: string; clientRequestId: string } {
  const cached = (req as IncomingMessage & { _ids?: { requestId: string; clientRequestId: string } })._ids;
  if (cached) return cached;
  const requestId = randomUUID();
  const sent = req.headers["client-request-id"];
  const clientRequestId =
    typeof sent === "string" && sent.length > 0 && sent.length <= 200 ? sent : requestId;
  const value = { requestId, clientRequestId };
  (req as IncomingMessage & { _ids?: typeof value })._ids = value;
  return value;
}

function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on("end", () => resolve(tooLarge ? undefined : Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

/** Writes a GraphReply: JSON with Graph's headers, text/plain for `$count`, nothing for 204. */
export function writeReply(
  res: ServerResponse,
  reply: GraphReply,
  requestIds: { requestId: string; clientRequestId: string },
): void {
  const headers: Record<string, string> = {
    "request-id": requestIds.requestId,
    "client-request-id": requestIds.clientRequestId,
    ...(reply.headers ?? {}),
  };
  if (reply.status === 204 || reply.body === undefined) {
    res.writeHead(reply.status, headers);
    res.end();
    return;
  }
  if (typeof reply.body === "string") {
    const text = Buffer.from(reply.body);
    res.writeHead(reply.status, {
      ...headers,
      "Content-Type": "text/plain",
      "Content-Length": String(text.length),
    });
    res.end(text);
    return;
  }
  sendJson(res, reply.status, reply.body, requestIds, headers);
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  requestIds: { requestId: string; clientRequestId: string },
  extra: Record<string, string> = {},
): void {
  const payload = Buffer.from(JSON.stringify(body));
  res.writeHead(status, {
    "request-id": requestIds.requestId,
    "client-request-id": requestIds.clientRequestId,
    ...extra,
    "Content-Type": GRAPH_JSON,
    "OData-Version": "4.0",
    "Content-Length": String(payload.length),
  });
  res.end(payload);
}
