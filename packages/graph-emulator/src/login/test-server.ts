/**
 * Test support: the login service mounted on a throw-away HTTPS server with a small in-memory directory,
 * so its routes are exercised over a real TLS socket without the rest of the emulator.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Agent, fetch, type RequestInit, type Response } from "undici";
import {
  type ClientCertificate,
  createClientCertificate,
  createTlsMaterial,
  type TlsMaterial,
} from "../crypto/index.ts";
import { createLoginService, type LoginService } from "./service.ts";
import type { LoginApp, LoginDirectory, LoginTenant, LoginUser } from "./types.ts";

export interface TestLoginServer {
  origin: string;
  tenant: LoginTenant;
  login: LoginService;
  tls: TlsMaterial;
  dir: string;
  /** Apps by role; mutate them to change what the directory answers. */
  apps: Record<"app" | "cert" | "expired" | "disabled" | "delegated" | "bare", LoginApp>;
  appSecret: string;
  certificate: ClientCertificate;
  user: LoginUser;
  /** fetch against the server, trusting its CA; redirects are not followed. */
  request(path: string, init?: RequestInit): Promise<Response>;
  /** POST a form to `/{tenant}/oauth2/v2.0/token` (tenant defaults to the tenant id). */
  token(
    form: Record<string, string>,
    opts?: { tenant?: string; headers?: Record<string, string> },
  ): Promise<Response>;
  close(): Promise<void>;
}

function app(name: string, overrides: Partial<LoginApp> = {}): LoginApp {
  return {
    clientId: randomUUID(),
    displayName: name,
    enabled: true,
    secrets: [
      { keyId: randomUUID(), value: `${name}~${randomUUID()}`, expiresAt: Date.now() + 2 * 365 * 86_400_000 },
    ],
    certificates: [],
    appPermissions: [],
    delegatedScopes: [],
    redirectUris: [],
    servicePrincipalId: randomUUID(),
    ...overrides,
  };
}

export async function startTestLoginServer(): Promise<TestLoginServer> {
  const dir = await mkdtemp(join(tmpdir(), "login-test-"));
  const [tls, certificate] = await Promise.all([
    createTlsMaterial(dir),
    createClientCertificate(dir, "cert-app"),
  ]);
  const tenant: LoginTenant = {
    id: randomUUID(),
    domains: ["contoso.onmicrosoft.com"],
    displayName: "Contoso",
  };
  const user: LoginUser = {
    id: randomUUID(),
    userPrincipalName: "admin@contoso.onmicrosoft.com",
    displayName: "Ada Admin",
    accountEnabled: true,
  };
  const apps = {
    app: app("reader", { appPermissions: ["User.Read.All", "Group.Read.All"] }),
    cert: app("cert", {
      secrets: [],
      appPermissions: ["Directory.Read.All"],
      certificates: [
        {
          thumbprintSha1: certificate.thumbprintSha1,
          thumbprintSha256: certificate.thumbprintSha256,
          publicKeyPem: certificate.publicKeyPem,
        },
      ],
    }),
    expired: app("expired", { appPermissions: ["User.Read.All"] }),
    disabled: app("disabled", { enabled: false }),
    delegated: app("delegated", {
      delegatedScopes: ["User.Read", "Directory.ReadWrite.All", "offline_access", "openid", "profile"],
      redirectUris: ["https://app.example.com/callback"],
    }),
    bare: app("bare"),
  };
  for (const s of apps.expired.secrets) s.expiresAt = Date.now() - 1000;
  const directory: LoginDirectory = {
    findTenant: (idOrDomain) =>
      idOrDomain.toLowerCase() === tenant.id || tenant.domains.includes(idOrDomain.toLowerCase())
        ? tenant
        : undefined,
    findApp: (tenantId, clientId) =>
      tenantId === tenant.id ? Object.values(apps).find((a) => a.clientId === clientId) : undefined,
    signInUser: (tenantId) => (tenantId === tenant.id ? user : undefined),
    homeTenantFor: () => tenant.id,
  };
  let origin = "";
  const login = createLoginService({ directory, origin: () => origin });
  const server: Server = createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", origin);
      login.handle(req, res, url, Buffer.concat(chunks)).then(
        (handled) => {
          if (!handled) {
            res.writeHead(404);
            res.end();
          }
        },
        (err: unknown) => {
          res.writeHead(500);
          res.end(String(err));
        },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  await login.ready();
  const dispatcher = new Agent({ connect: { ca: tls.caCertPem } });
  const request = (path: string, init: RequestInit = {}) =>
    fetch(`${origin}${path}`, { redirect: "manual", dispatcher, ...init });
  return {
    origin,
    tenant,
    login,
    tls,
    dir,
    apps,
    appSecret: apps.app.secrets[0]!.value,
    certificate,
    user,
    request,
    token: (form, opts = {}) =>
      request(`/${opts.tenant ?? tenant.id}/oauth2/v2.0/token`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", ...opts.headers },
        body: new URLSearchParams(form).toString(),
      }),
    async close() {
      await dispatcher.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Decodes a JWT payload without checking it (tests inspect claims). */
export function jwtClaims(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8")) as Record<
    string,
    unknown
  >;
}

/** Asserts a token/discovery error answer has Microsoft's exact shape, and returns its body. */
export async function expectAadError(
  s: TestLoginServer,
  res: Response,
  status: number,
  error: string,
  code: number,
  text?: string,
): Promise<Record<string, unknown>> {
  const body = (await res.json()) as Record<string, unknown>;
  assert.equal(res.status, status, JSON.stringify(body));
  assert.equal(body["error"], error);
  assert.deepEqual(body["error_codes"], [code]);
  const description = String(body["error_description"]);
  assert.match(description, new RegExp(`^AADSTS${code}: `));
  assert.match(
    description,
    /\r\nTrace ID: [0-9a-f-]{36}\r\nCorrelation ID: [0-9a-f-]{36}\r\nTimestamp: \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/,
  );
  assert.match(String(body["timestamp"]), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/);
  assert.equal(body["trace_id"], res.headers.get("x-ms-request-id"));
  assert.equal(body["error_uri"], `${s.origin}/error?code=${code}`);
  if (text) assert.ok(description.includes(text), `"${description}" should include "${text}"`);
  return body;
}
