import type { Dispatcher } from "undici";
import { decodeClaims } from "../common/claims.ts";
import { CLOUDS } from "../common/clouds.ts";
import type { StoredToken, TokenProvider } from "../common/tokens.ts";
import type { ConnectorConfig } from "../config/load.ts";
import { createError } from "../errors.ts";
import type { Logger } from "../log/logger.ts";
import { cachedTokenProvider } from "./cached-provider.ts";
import { clientAssertion, loadCertificate } from "./client-assertion.ts";
import type { LoginContext } from "./login-errors.ts";
import { checkAudience, redeem, type TokenEndpoint } from "./token-endpoint.ts";
import { dropIfUnreadable, isUnreadable, type TokenStore } from "./token-store.ts";

export const ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

export function authorityUrl(config: Pick<ConnectorConfig, "authorityHost" | "tenantId">): string {
  return `${config.authorityHost}/${encodeURIComponent(config.tenantId)}`;
}

export function tokenEndpointUrl(config: Pick<ConnectorConfig, "authorityHost" | "tenantId">): string {
  return `${authorityUrl(config)}/oauth2/v2.0/token`;
}

/** `https://{login host}/{tenant}/adminconsent?client_id=…` (docs/graph.md#permissions). */
export function adminConsentUrl(
  config: Pick<ConnectorConfig, "authorityHost" | "tenantId" | "clientId">,
): string {
  return `${authorityUrl(config)}/adminconsent?client_id=${encodeURIComponent(config.clientId)}`;
}

/** A connection: authority + tenant + client + scope (a delegated sign-in's refresh token is kept per connection). */
export function connectionKey(config: ConnectorConfig): string {
  return [config.authorityHost, config.tenantId, config.clientId, config.scopes.join(" ")].join("|");
}

/**
 * The token cache entry of an app sign-in: the connection plus a keyed fingerprint of the credential
 * (the secret, or the certificate's thumbprint with its private key), so a token obtained with one
 * credential is never taken as proof that another one works. Delegated entries stay per connection.
 */
export async function tokenCacheKey(config: ConnectorConfig, store: TokenStore): Promise<string> {
  const cred = config.credential;
  let material: Buffer;
  if (cred.kind === "secret") material = Buffer.from(`secret\0${cred.clientSecret}`);
  else if (cred.kind === "certificate") {
    const { x5tS256, key } = loadCertificate(cred);
    material = Buffer.concat([
      Buffer.from(`certificate\0${x5tS256}\0`),
      key.export({ type: "pkcs8", format: "der" }),
    ]);
  } else return connectionKey(config);
  return `${connectionKey(config)}|${await store.fingerprint(material)}`;
}

export interface TokenProviderDeps {
  dispatcher: Dispatcher;
  logger: Logger;
  store?: TokenStore | undefined;
}

export function tokenEndpoint(config: ConnectorConfig, deps: TokenProviderDeps): TokenEndpoint {
  const context: LoginContext = {
    tenant: config.tenantId,
    clientId: config.clientId,
    authorityHost: config.authorityHost,
    consentUrl: adminConsentUrl(config),
  };
  const secret = "clientSecret" in config.credential ? config.credential.clientSecret : undefined;
  if (secret !== undefined) context.clientSecret = secret;
  return {
    dispatcher: deps.dispatcher,
    url: tokenEndpointUrl(config),
    timeoutMs: config.timeoutMs,
    context,
    logger: deps.logger,
    resource: CLOUDS[config.cloud].graphUrl,
  };
}

/** The client-authentication part of a token request: the secret, a fresh signed assertion, or nothing. */
export function clientAuth(config: ConnectorConfig): () => Record<string, string> {
  const cred = config.credential;
  if (cred.kind === "certificate") {
    const loaded = loadCertificate(cred);
    const aud = tokenEndpointUrl(config);
    return () => ({
      client_assertion_type: ASSERTION_TYPE,
      client_assertion: clientAssertion(loaded, config.clientId, aud),
    });
  }
  if ((cred.kind === "secret" || cred.kind === "delegated") && cred.clientSecret !== undefined) {
    const form = { client_secret: cred.clientSecret };
    return () => form;
  }
  return () => ({});
}

/**
 * The token provider for a connection's credential: client secret or certificate (client
 * credentials), delegated (refresh token from the store, rotated on every use), or a pre-issued
 * access token (used until it expires; like an acquired one, refused when minted for another cloud).
 */
export function createTokenProvider(config: ConnectorConfig, deps: TokenProviderDeps): TokenProvider {
  if (config.credential.kind === "accessToken")
    return staticTokenProvider(config, config.credential.accessToken);
  const endpoint = tokenEndpoint(config, deps);
  const auth = clientAuth(config);
  const scope = config.scopes.join(" ");
  const store = deps.store;
  const delegated = config.credential.kind === "delegated";

  const acquire = async (current: StoredToken | undefined): Promise<StoredToken> => {
    if (!delegated) {
      return redeem(endpoint, () => ({
        grant_type: "client_credentials",
        client_id: config.clientId,
        scope,
        ...auth(),
      }));
    }
    if (!current?.refreshToken)
      throw createError("AUTH_LOGIN_REQUIRED", { connection: `${config.tenantId}/${config.clientId}` });
    const refreshToken = current.refreshToken;
    const token = await redeem(endpoint, () => ({
      grant_type: "refresh_token",
      client_id: config.clientId,
      refresh_token: refreshToken,
      scope,
      ...auth(),
    }));
    // The service may or may not rotate the refresh token; keep the newest one we have.
    token.refreshToken ??= refreshToken;
    return token;
  };

  const options: Parameters<typeof cachedTokenProvider>[0] = { acquire };
  if (store) {
    let key: Promise<string> | undefined;
    const cacheKey = () => {
      key ??= tokenCacheKey(config, store);
      return key;
    };
    options.load = async () => {
      const entry = await cacheKey();
      if (!delegated) return dropIfUnreadable(store, deps.logger, () => store.get(entry));
      try {
        return await store.get(entry);
      } catch (err) {
        // The refresh token cannot be had again without the user: say how to sign in anew.
        if (!isUnreadable(store, err)) throw err;
        throw createError(
          "AUTH_LOGIN_UNREADABLE",
          { connection: `${config.tenantId}/${config.clientId}`, path: store.path },
          { cause: err },
        );
      }
    };
    options.save = async (t) => store.set(await cacheKey(), t);
  }
  return cachedTokenProvider(options);
}

function staticTokenProvider(config: ConnectorConfig, accessToken: string): TokenProvider {
  // Held back until the first use, so a wrong cloud reads as a sign-in failure (as for acquired
  // tokens) rather than breaking createConnection.
  let wrongCloud: unknown;
  try {
    checkAudience(accessToken, CLOUDS[config.cloud].graphUrl);
  } catch (err) {
    wrongCloud = err;
  }
  const exp = decodeClaims(accessToken)?.exp;
  const expiresAt = typeof exp === "number" ? exp * 1000 : Number.POSITIVE_INFINITY;
  let rejected = false;
  const token: StoredToken = {
    tokenType: "Bearer",
    accessToken,
    expiresIn: Number.isFinite(expiresAt) ? Math.max(0, Math.round((expiresAt - Date.now()) / 1000)) : 0,
    extExpiresIn: 0,
    expiresAt,
    tenantId: config.tenantId,
  };
  const provider: TokenProvider = {
    acquisitions: 0,
    async getToken() {
      if (wrongCloud !== undefined) throw wrongCloud;
      if (rejected || Date.now() >= expiresAt) {
        throw createError("AUTH_FAILED", {
          aadsts: "pre-issued token",
          reason:
            "the access token given in ENTRA_ACCESS_TOKEN has expired or was rejected; supply a fresh one",
          aadstsNumber: "",
        });
      }
      return token;
    },
    // Nothing to sign in with: the handed-in token is all there is.
    signIn: () => provider.getToken(),
    invalidate(t) {
      if (t === accessToken) rejected = true;
    },
  };
  return provider;
}
