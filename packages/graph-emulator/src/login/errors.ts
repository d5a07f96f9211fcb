/**
 * The identity platform's errors: one table of AADSTS codes with their OAuth `error`, HTTP status and the
 * wording Microsoft uses, so every route answers a given failure the same way.
 */

export type OAuthError =
  | "invalid_request"
  | "invalid_tenant"
  | "invalid_client"
  | "unauthorized_client"
  | "invalid_grant"
  | "invalid_scope"
  | "invalid_resource"
  | "unsupported_grant_type"
  | "unsupported_response_type"
  | "consent_required"
  | "login_required"
  | "access_denied"
  | "invalid_instance";

/** A login failure as the service reports it; rendered as a JSON body, an error redirect or a page. */
export class AadError extends Error {
  readonly code: number;
  readonly error: OAuthError;
  readonly status: 400 | 401;
  /** MSAL surfaces this as `subError` (e.g. consent_required on invalid_grant). */
  readonly suberror: string | undefined;

  constructor(
    code: number,
    error: OAuthError,
    description: string,
    status: 400 | 401 = 400,
    suberror?: string,
  ) {
    super(`AADSTS${code}: ${description}`);
    this.name = "AadError";
    this.code = code;
    this.error = error;
    this.status = status;
    this.suberror = suberror;
  }

  /** The same failure under another OAuth error name (discovery answers 90002 as invalid_tenant). */
  as(error: OAuthError): AadError {
    return new AadError(
      this.code,
      error,
      this.message.replace(/^AADSTS\d+: /, ""),
      this.status,
      this.suberror,
    );
  }
}

const CERT_DOCS = "https://learn.microsoft.com/entra/identity-platform/certificate-credentials";

/** "2022-10-31 09:03:41Z": the timestamp format of login error bodies. */
export function loginTimestamp(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace("T", " ")
    .replace(/\.\d+Z$/, "Z");
}

/** "2024-10-02T22:05:03.6755165Z": .NET round-trip format used inside AADSTS descriptions. */
function netTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d+)Z$/, (_, frac: string) => `.${frac.padEnd(7, "0")}Z`);
}

/** "90.00:00:00": a .NET TimeSpan, as in AADSTS700082. */
function timeSpan(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const pad = (n: number) => String(n).padStart(2, "0");
  const days = Math.floor(total / 86_400);
  const rest = `${pad(Math.floor((total % 86_400) / 3600))}:${pad(Math.floor((total % 3600) / 60))}:${pad(total % 60)}`;
  return days > 0 ? `${days}.${rest}` : rest;
}

export const aad = {
  tenantNotFound: (tenant: string) =>
    new AadError(
      90002,
      "invalid_request",
      `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`,
    ),
  grantNotOnCommon: () =>
    new AadError(
      9001023,
      "invalid_request",
      "The grant type is not supported over the /common or /consumers endpoints. Please use the /organizations or tenant-specific endpoint.",
    ),
  missingParameter: (name: string) =>
    new AadError(
      900144,
      "invalid_request",
      `The request body must contain the following parameter: '${name}'.`,
    ),
  postOnly: (method: string) =>
    new AadError(
      900561,
      "invalid_request",
      `The endpoint only accepts POST, OPTIONS requests. Received a ${method} request.`,
    ),
  unsupportedGrant: (grant: string) =>
    new AadError(70003, "unsupported_grant_type", `The app requested an unsupported grant type '${grant}'.`),
  appNotFound: (clientId: string, tenantName: string) =>
    new AadError(
      700016,
      "unauthorized_client",
      `Application with identifier '${clientId}' was not found in the directory '${tenantName}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
    ),
  appDisabled: (clientId: string, name: string) =>
    new AadError(7000112, "unauthorized_client", `Application '${clientId}'(${name}) is disabled.`),
  credentialMissing: () =>
    new AadError(
      7000218,
      "invalid_client",
      "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
      401,
    ),
  badSecret: (clientId: string) =>
    new AadError(
      7000215,
      "invalid_client",
      `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`,
      401,
    ),
  secretExpired: (clientId: string) =>
    new AadError(
      7000222,
      "invalid_client",
      `The provided client secret keys for app '${clientId}' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds.`,
      401,
    ),
  assertionMalformed: (detail: string) =>
    new AadError(50027, "invalid_request", `JWT token is invalid or malformed. ${detail}`),
  assertionClientMismatch: () =>
    new AadError(
      700021,
      "invalid_client",
      `Client assertion application identifier doesn't match 'client_id' parameter. Review the documentation at ${CERT_DOCS} .`,
      401,
    ),
  assertionAudience: (audience: string, expected: string) =>
    new AadError(
      700212,
      "invalid_client",
      `No matching federated identity record found for presented assertion audience '${audience}'. The client assertion audience must be the token endpoint '${expected}'. Review the documentation at ${CERT_DOCS} .`,
      401,
    ),
  assertionTime: (now: number, nbf: number, exp: number) =>
    new AadError(
      700024,
      "invalid_client",
      `Client assertion is not within its valid time range. Current time: ${netTimestamp(now)}, assertion valid from ${netTimestamp(nbf)}, expiry time of assertion ${netTimestamp(exp)}. Review the documentation at ${CERT_DOCS} .`,
      401,
    ),
  assertionKeyNotFound: (thumbprintHex: string, clientId: string) =>
    new AadError(
      700027,
      "invalid_client",
      `The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found., Thumbprint of key used by client: '${thumbprintHex}', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '${clientId}'. Review the documentation at https://docs.microsoft.com/en-us/graph/deployments if you are not using the global cloud.]`,
      401,
    ),
  assertionSignature: () =>
    new AadError(700027, "invalid_client", "Client assertion failed signature validation.", 401),
  scopeNotDefault: (scope: string) =>
    new AadError(
      1002012,
      "invalid_scope",
      `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
    ),
  scopeInvalid: (scope: string) =>
    new AadError(
      70011,
      "invalid_scope",
      `The provided value for the input parameter 'scope' is not valid. The scope ${scope} is not valid.`,
    ),
  scopeSeveralResources: (scope: string) =>
    new AadError(
      700022,
      "invalid_scope",
      `The provided value for the input parameter scope is not valid because it contains more than one resource. Scope ${scope} is not valid.`,
    ),
  resourceNotFound: (resource: string, tenantName: string) =>
    new AadError(
      500011,
      "invalid_resource",
      `The resource principal named ${resource} was not found in the tenant named ${tenantName}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.`,
    ),
  consentRequired: (clientId: string, name: string) =>
    new AadError(
      65001,
      "invalid_grant",
      `The user or administrator has not consented to use the application with ID '${clientId}' named '${name}'. Send an interactive authorization request for this user and resource.`,
      400,
      "consent_required",
    ),
  grantMalformed: () =>
    new AadError(9002313, "invalid_grant", "Invalid request. Request is malformed or invalid."),
  scopeNotGranted: () =>
    new AadError(
      70000,
      "invalid_grant",
      "The request was denied because one or more scopes requested are unauthorized or expired. The user must first sign in and grant the client application access to the requested scope.",
    ),
  grantMismatch: () => new AadError(70000, "invalid_grant", "Provided grant is invalid or malformed."),
  codeExpired: () =>
    new AadError(
      70008,
      "invalid_grant",
      "The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.",
    ),
  codeRedeemed: () =>
    new AadError(
      54005,
      "invalid_grant",
      "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.",
    ),
  refreshExpired: (issuedAt: number, inactiveMs: number) =>
    new AadError(
      700082,
      "invalid_grant",
      `The refresh token has expired due to inactivity. The token was issued on ${netTimestamp(issuedAt)} and was inactive for ${timeSpan(inactiveMs)}.`,
    ),
  grantRevoked: (issuedAt: number, validFrom: number) =>
    new AadError(
      50173,
      "invalid_grant",
      `The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password. The grant was issued on '${netTimestamp(issuedAt)}' and the TokensValidFrom date (before which tokens are not valid) for this user is '${netTimestamp(validFrom)}'.`,
    ),
  userDisabled: () => new AadError(50057, "invalid_grant", "The user account is disabled."),
  pkceMismatch: () =>
    new AadError(
      501481,
      "invalid_grant",
      "The Code_Verifier does not match the code_challenge supplied in the authorization request.",
    ),
  pkceMethod: () => new AadError(50149, "invalid_request", "Invalid Code_Challenge_method parameter."),
  pkceSize: () => new AadError(501491, "invalid_request", "Invalid size of Code_Challenge parameter."),
  replyMismatch: (sent: string, original: string) =>
    new AadError(
      500112,
      "invalid_grant",
      `The reply address '${sent}' does not match the reply address '${original}' provided when requesting Authorization code.`,
    ),
  redirectMismatch: (uri: string, clientId: string) =>
    new AadError(
      50011,
      "invalid_request",
      `The redirect URI '${uri}' specified in the request does not match the redirect URIs configured for the application '${clientId}'. Make sure the redirect URI sent in the request matches one added to your application in the Azure portal. Navigate to https://aka.ms/redirectUriMismatchError to learn more about how to fix this.`,
    ),
  responseType: (type: string) =>
    new AadError(
      700054,
      "unsupported_response_type",
      `response_type '${type}' is not enabled for the application.`,
    ),
  noSignedInUser: () =>
    new AadError(50058, "login_required", "A silent sign-in request was sent but no user is signed in."),
  unknownInstance: () => new AadError(50049, "invalid_instance", "Unknown or invalid instance."),
};

export interface ErrorContext {
  now: number;
  traceId: string;
  correlationId: string;
  origin: string;
}

/** The JSON error body of the token and discovery endpoints. */
export function aadErrorBody(err: AadError, ctx: ErrorContext): Record<string, unknown> {
  const timestamp = loginTimestamp(ctx.now);
  const body: Record<string, unknown> = {
    error: err.error,
    error_description: `${err.message}\r\nTrace ID: ${ctx.traceId}\r\nCorrelation ID: ${ctx.correlationId}\r\nTimestamp: ${timestamp}`,
    error_codes: [err.code],
    timestamp,
    trace_id: ctx.traceId,
    correlation_id: ctx.correlationId,
    error_uri: `${ctx.origin}/error?code=${err.code}`,
  };
  if (err.suberror) body["suberror"] = err.suberror;
  return body;
}
