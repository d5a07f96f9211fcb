import type { Dispatcher } from "undici";
import { CLOUDS } from "../config/clouds.ts";
import type { ConnectorConfig } from "../config/load.ts";
import { createError } from "../errors.ts";
import type { Logger } from "../log/logger.ts";
import { cachedTokenProvider } from "./cached-provider.ts";
import { decodeClaims } from "./claims.ts";
import { clientAssertion, loadCertificate } from "./client-assertion.ts";
import type { LoginContext } from "./login-errors.ts";
import { checkAudience, redeem, type TokenEndpoint } from "./token-endpoint.ts";
import type { TokenStore } from "./token-store.ts";
import type { StoredToken, TokenProvider } from "./types.ts";

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

/** One token cache entry per authority + tenant + client + scope. */
export function connectionKey(config: ConnectorConfig): string {
  return [config.authorityHost, config.tenantId, config.clientId, config.scopes.join(" ")].join("|");
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
    const loaded = loadCertificate(cred.certificateFile, cred.keyFile);
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
  const key = connectionKey(config);
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
    options.load = () => store.get(key);
    options.save = (t) => store.set(key, t);
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
  return {
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
    invalidate(t) {
      if (t === accessToken) rejected = true;
    },
  };
}
