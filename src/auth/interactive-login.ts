import { createHash, randomBytes } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { StoredToken } from "../common/tokens.ts";
import type { ConnectorConfig } from "../config/load.ts";
import { ConnectorError, createError } from "../errors.ts";
import {
  authorityUrl,
  clientAuth,
  connectionKey,
  type TokenProviderDeps,
  tokenEndpoint,
} from "./credentials.ts";
import { loginError } from "./login-errors.ts";
import { redeem } from "./token-endpoint.ts";
import { dropIfUnreadable } from "./token-store.ts";

export interface InteractiveLoginOptions {
  /** Loopback port for the redirect listener; 0 picks a free one. */
  port?: number;
  /** Shows the sign-in URL to the user (print it, open a browser, or — in tests — follow it). */
  openUrl(url: string): void | Promise<void>;
  /** How long to wait for the browser to come back. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** RFC 7636 S256: a 43-character verifier and its SHA-256 challenge. */
export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString("base64url");
  return { verifier, challenge: createHash("sha256").update(verifier).digest("base64url") };
}

const PAGE = (text: string) =>
  `<!doctype html><meta charset="utf-8"><title>entra-connector</title><p>${text}</p><p>You can close this window.</p>`;

/** The authorization-code + PKCE (S256) sign-in address for a delegated connection. */
export function authorizeUrl(
  config: ConnectorConfig,
  request: { redirectUri: string; state: string; challenge: string; prompt?: string },
): string {
  const authorize = new URL(`${authorityUrl(config)}/oauth2/v2.0/authorize`);
  const params: Record<string, string> = {
    client_id: config.clientId,
    response_type: "code",
    redirect_uri: request.redirectUri,
    response_mode: "query",
    scope: config.scopes.join(" "),
    state: request.state,
    code_challenge: request.challenge,
    code_challenge_method: "S256",
    ...(request.prompt ? { prompt: request.prompt } : {}),
  };
  for (const [k, v] of Object.entries(params)) authorize.searchParams.set(k, v);
  return authorize.toString();
}

/** Redeems an authorization code (with its PKCE verifier) for tokens; a sign-in without a refresh token is refused. */
export async function redeemCode(
  config: ConnectorConfig,
  deps: TokenProviderDeps,
  answer: { code: string; redirectUri: string; verifier: string },
): Promise<StoredToken> {
  const auth = clientAuth(config);
  const token = await redeem(tokenEndpoint(config, deps), () => ({
    grant_type: "authorization_code",
    client_id: config.clientId,
    code: answer.code,
    redirect_uri: answer.redirectUri,
    code_verifier: answer.verifier,
    scope: config.scopes.join(" "),
    ...auth(),
  }));
  if (!token.refreshToken) {
    throw createError("AUTH_LOGIN_FAILED", {
      reason: "no refresh token was issued; include offline_access in ENTRA_SCOPE",
    });
  }
  return token;
}

/**
 * Delegated sign-in for the CLI: authorization code + PKCE with a one-shot loopback listener on
 * 127.0.0.1. The code is redeemed for access + refresh tokens, which are saved (encrypted) under this
 * connection's key, so later runs refresh silently.
 */
export async function interactiveLogin(
  config: ConnectorConfig,
  deps: TokenProviderDeps,
  options: InteractiveLoginOptions,
): Promise<StoredToken> {
  const { verifier, challenge } = pkcePair();
  const state = randomBytes(16).toString("base64url");
  const endpoint = tokenEndpoint(config, deps);

  let settle!: { resolve: (code: string) => void; reject: (err: unknown) => void };
  const codeArrived = new Promise<string>((resolve, reject) => {
    settle = { resolve, reject };
  });
  codeArrived.catch(() => {}); // rejections are observed by the await below, or were moot
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const q = url.searchParams;
    if (!q.has("code") && !q.has("error")) {
      res.writeHead(404).end();
      return;
    }
    if (q.get("state") !== state) {
      res
        .writeHead(400, { "content-type": "text/html" })
        .end(PAGE("Sign-in answer did not match this login."));
      settle.reject(
        createError("AUTH_LOGIN_FAILED", { reason: "the redirect carried a wrong state (possible CSRF)" }),
      );
      return;
    }
    const error = q.get("error");
    if (error) {
      res.writeHead(400, { "content-type": "text/html" }).end(PAGE("Sign-in failed; see the terminal."));
      const body = { error, error_description: q.get("error_description") ?? error };
      settle.reject(loginError(400, body, undefined, endpoint.context));
      return;
    }
    res.writeHead(200, { "content-type": "text/html" }).end(PAGE("Signed in to entra-connector."));
    settle.resolve(q.get("code")!);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", resolve);
  });
  const redirectUri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const timer = setTimeout(
    () => settle.reject(createError("AUTH_LOGIN_FAILED", { reason: "timed out waiting for the browser" })),
    options.timeoutMs ?? 300_000,
  );
  const onAbort = () => settle.reject(createError("AUTH_LOGIN_FAILED", { reason: "cancelled" }));
  options.signal?.addEventListener("abort", onAbort, { once: true });

  try {
    const authorize = authorizeUrl(config, { redirectUri, state, challenge, prompt: "select_account" });
    await options.openUrl(authorize);
    const token = await redeemCode(config, deps, { code: await codeArrived, redirectUri, verifier });
    const store = deps.store;
    // A new sign-in replaces tokens this key cannot read anyway.
    if (store) await dropIfUnreadable(store, deps.logger, () => store.set(connectionKey(config), token));
    return token;
  } catch (err) {
    if (err instanceof ConnectorError) throw err;
    throw createError("AUTH_LOGIN_FAILED", { reason: (err as Error).message }, { cause: err });
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", onAbort);
    server.closeAllConnections();
    server.close();
  }
}
