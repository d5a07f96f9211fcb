import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { TokenProvider } from "../../auth/types.ts";

/**
 * A tiny scripted HTTP server for client tests that need exact control of answers (faults, headers,
 * timing). Routes are matched on "METHOD /path" (query ignored); unmatched requests answer 404.
 */
export type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void | Promise<void>;

export interface LocalGraph {
  url: string;
  hits: { method: string; url: string; headers: IncomingMessage["headers"]; body: string }[];
  route(key: string, handler: Handler): void;
  close(): Promise<void>;
}

export function json(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "request-id": `req-${status}`, ...headers });
  res.end(text);
}

/** A fake unsigned JWT whose payload the connector can decode. */
export function fakeJwt(claims: Record<string, unknown>): string {
  const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
  return `${enc({ alg: "none", typ: "JWT" })}.${enc(claims)}.sig`;
}

export async function startLocalGraph(): Promise<LocalGraph> {
  const routes = new Map<string, Handler>();
  const hits: LocalGraph["hits"] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      hits.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body });
      const path = (req.url ?? "/").split("?")[0];
      const handler = routes.get(`${req.method} ${path}`);
      if (!handler)
        return json(res, 404, { error: { code: "Request_ResourceNotFound", message: "no route" } });
      Promise.resolve(handler(req, body, res)).catch((err: Error) =>
        json(res, 500, { error: { code: "Boom", message: err.message } }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    hits,
    route: (key, handler) => routes.set(key, handler),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The login service's successful token answer (an hour-long bearer token). */
export function tokenAnswer(accessToken: string): Record<string, unknown> {
  return { token_type: "Bearer", expires_in: 3599, ext_expires_in: 3599, access_token: accessToken };
}

/**
 * A client-credentials token endpoint for `tenant` that accepts only `secret` (else AADSTS7000215)
 * and answers with `issue()`'s access token (and `refreshToken`, when given).
 */
export function serveTokens(
  server: LocalGraph,
  opts: { tenant: string; secret: string; issue: () => string; refreshToken?: string },
): void {
  server.route(`POST /${opts.tenant}/oauth2/v2.0/token`, (_req, body, res) => {
    if (new URLSearchParams(body).get("client_secret") !== opts.secret) {
      return json(res, 401, {
        error: "invalid_client",
        error_codes: [7000215],
        error_description: "AADSTS7000215: Invalid client secret provided.",
      });
    }
    const answer = tokenAnswer(opts.issue());
    if (opts.refreshToken) answer["refresh_token"] = opts.refreshToken;
    json(res, 200, answer);
  });
}

/** A token provider that always hands out the same hour-long token (no login service involved). */
export function fixedTokens(accessToken = "t"): TokenProvider {
  const token = {
    tokenType: "Bearer",
    accessToken,
    expiresIn: 3600,
    extExpiresIn: 3600,
    expiresAt: Date.now() + 3600_000,
    tenantId: "00000000-0000-0000-0000-000000000000",
  };
  return { acquisitions: 0, getToken: async () => token, signIn: async () => token, invalidate() {} };
}
