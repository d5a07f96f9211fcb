/**
 * The one error registry. Every failure the connector reports has a code here with its message
 * template, fix, HTTP status (as the service API answers it), whether retrying can help, and the CLI
 * exit code. `docs/errors.md` is generated from this table and a test keeps the two in step
 * (`UPDATE_ERROR_DOCS=1 npx node --test src/errors.test.ts` rewrites it).
 *
 * Templates use `{name}` placeholders; `createError` is typed so every placeholder must be given.
 * Never pass a secret or token as a parameter: messages are printed and logged as they are.
 *
 * @example
 *   throw createError("CONFIG_INVALID", { field: "ENTRA_TENANT_ID", problem: "must be a GUID" });
 */

/** CLI exit codes, decided once here. */
export const EXIT = {
  ok: 0,
  internal: 1,
  usage: 2,
  auth: 3,
  network: 4,
  graph: 5,
  permissions: 6,
  cancelled: 130,
} as const;

export interface ErrorSpec {
  message: string;
  fix?: string;
  status: number;
  retryable: boolean;
  exit: number;
}

export const ERRORS = {
  INTERNAL: {
    message: "Unexpected internal error: {detail}",
    fix: "This is a bug; please report it with the command you ran.",
    status: 500,
    retryable: false,
    exit: EXIT.internal,
  },
  USAGE: {
    message: "{detail}",
    fix: "Run the command with --help to see its options.",
    status: 400,
    retryable: false,
    exit: EXIT.usage,
  },
  CONFIG_INVALID: {
    message: "{field}: {problem}",
    status: 400,
    retryable: false,
    exit: EXIT.usage,
  },
  CONFIG_FILE_UNREADABLE: {
    message: "Config file {path} could not be read: {reason}",
    fix: "Point --config (or ENTRA_CONFIG) at a readable JSON file.",
    status: 400,
    retryable: false,
    exit: EXIT.usage,
  },
  TOKEN_STORE_UNREADABLE: {
    message: "The token store {path} could not be decrypted: {reason}",
    fix: "Use the ENTRA_CONNECTOR_KEY (or key file) the store was written with, or delete the store and sign in again.",
    status: 500,
    retryable: false,
    exit: EXIT.auth,
  },
  AUTH_INVALID_SECRET: {
    message: "Sign-in failed: the client secret is not valid for app {clientId} (AADSTS7000215).",
    fix: "Paste the secret's Value (not its Secret ID) from Certificates & secrets, or create a new secret.",
    status: 401,
    retryable: false,
    exit: EXIT.auth,
  },
  AUTH_SECRET_ID_PASTED: {
    message:
      "Sign-in failed: the configured client secret looks like a Secret ID (a GUID), not a secret value (AADSTS7000215).",
    fix: "In Certificates & secrets copy the Value column (shown only when the secret is created), not the Secret ID; create a new secret if the value is lost.",
    status: 401,
    retryable: false,
    exit: EXIT.auth,
  },
  AUTH_SECRET_EXPIRED: {
    message: "Sign-in failed: the client secret of app {clientId} has expired (AADSTS7000222).",
    fix: "Create a new client secret under Certificates & secrets and update ENTRA_CLIENT_SECRET.",
    status: 401,
    retryable: false,
    exit: EXIT.auth,
  },
  AUTH_INVALID_CERTIFICATE: {
    message: "Sign-in failed: the certificate credential was rejected for app {clientId} ({aadsts}).",
    fix: "Upload the certificate (public part) to the app under Certificates & secrets, and check ENTRA_CLIENT_CERTIFICATE and ENTRA_CLIENT_KEY are a matching pair.",
    status: 401,
    retryable: false,
    exit: EXIT.auth,
  },
  AUTH_UNKNOWN_TENANT: {
    message: "Sign-in failed: tenant {tenant} was not found at {authorityHost} (AADSTS90002).",
    fix: "Check ENTRA_TENANT_ID (Directory (tenant) ID on the app's Overview page); if the tenant is in US Gov or China, set ENTRA_CLOUD.",
    status: 400,
    retryable: false,
    exit: EXIT.auth,
  },
  AUTH_UNKNOWN_CLIENT: {
    message: "Sign-in failed: application {clientId} was not found in tenant {tenant} (AADSTS700016).",
    fix: "Check ENTRA_CLIENT_ID (Application (client) ID on the app's Overview page) and that the app is registered in this tenant.",
    status: 400,
    retryable: false,
    exit: EXIT.auth,
  },
  AUTH_APP_DISABLED: {
    message: "Sign-in failed: application {clientId} is disabled (AADSTS7000112).",
    fix: "Enable the enterprise application (Properties → Enabled for users to sign in) or use another app.",
    status: 401,
    retryable: false,
    exit: EXIT.auth,
  },
  AUTH_CONSENT_REQUIRED: {
    message: "Sign-in failed: an administrator has not consented to app {clientId} (AADSTS65001).",
    fix: "Grant admin consent: {consentUrl}",
    status: 403,
    retryable: false,
    exit: EXIT.auth,
  },
  AUTH_WRONG_CLOUD: {
    message: "Sign-in failed: {detail}",
    fix: "Set ENTRA_CLOUD to the cloud the tenant lives in (global, usgov, usgovdod, china), or set ENTRA_AUTHORITY_HOST and ENTRA_GRAPH_URL to the same cloud.",
    status: 400,
    retryable: false,
    exit: EXIT.auth,
  },
  AUTH_CLOCK_SKEW: {
    message: "Sign-in failed: this machine's clock is {skew} away from the login service's ({aadsts}).",
    fix: "Synchronise the system clock (NTP); tokens and client assertions are only valid within a few minutes of real time.",
    status: 400,
    retryable: false,
    exit: EXIT.auth,
  },
  AUTH_REFRESH_EXPIRED: {
    message: "The saved sign-in is no longer valid ({aadsts}): {reason}",
    fix: "Sign in again with `entra-connector login`.",
    status: 401,
    retryable: false,
    exit: EXIT.auth,
  },
  AUTH_LOGIN_REQUIRED: {
    message: "No saved sign-in for this delegated connection ({connection}).",
    fix: "Run `entra-connector login` to sign in once; the refresh token is then stored encrypted and rotated.",
    status: 401,
    retryable: false,
    exit: EXIT.auth,
  },
  AUTH_LOGIN_FAILED: {
    message: "Interactive sign-in did not complete: {reason}",
    fix: "Run `entra-connector login` again and finish the sign-in in the browser within the time limit.",
    status: 400,
    retryable: false,
    exit: EXIT.auth,
  },
  AUTH_FAILED: {
    message: "Sign-in failed ({aadsts}): {reason}",
    fix: "Check the tenant, client id and credential; the AADSTS code is explained at https://login.microsoftonline.com/error?code={aadstsNumber}",
    status: 401,
    retryable: false,
    exit: EXIT.auth,
  },
  NET_TLS: {
    message: "TLS to {host} failed: {reason}",
    fix: "If a proxy or private endpoint re-signs TLS, set ENTRA_CA_FILE to its CA certificate (PEM); otherwise check the host name.",
    status: 502,
    retryable: false,
    exit: EXIT.network,
  },
  NET_DNS: {
    message: "The host {host} could not be resolved ({reason}).",
    fix: "Check the host in ENTRA_CLOUD / ENTRA_AUTHORITY_HOST / ENTRA_GRAPH_URL and this machine's DNS.",
    status: 502,
    retryable: false,
    exit: EXIT.network,
  },
  NET_CONNECTION_REFUSED: {
    message: "Connection to {host} was refused.",
    fix: "Check the host and port in ENTRA_AUTHORITY_HOST / ENTRA_GRAPH_URL and that nothing blocks the connection.",
    status: 502,
    retryable: false,
    exit: EXIT.network,
  },
  NET_TIMEOUT: {
    message: "{method} {url} timed out after {timeoutMs} ms.",
    fix: "Retry later or raise the request timeout (--timeout-ms / ENTRA_TIMEOUT_MS).",
    status: 504,
    retryable: true,
    exit: EXIT.network,
  },
  NET_FAILED: {
    message: "{method} {url} failed: {reason}",
    fix: "A network fault interrupted the request; retry later.",
    status: 502,
    retryable: true,
    exit: EXIT.network,
  },
  REQUEST_ABORTED: {
    message: "The request was cancelled.",
    status: 499,
    retryable: false,
    exit: EXIT.cancelled,
  },
  GRAPH_BAD_REQUEST: {
    message: "{method} {url} → {status} {graphCode}: {graphMessage} (request-id {requestId})",
    status: 400,
    retryable: false,
    exit: EXIT.graph,
  },
  GRAPH_UNAUTHORIZED: {
    message: "{method} {url} → {status} {graphCode}: {graphMessage} (request-id {requestId})",
    fix: "The access token was rejected; run `entra-connector check` to verify the credential and cloud.",
    status: 401,
    retryable: false,
    exit: EXIT.auth,
  },
  GRAPH_FORBIDDEN: {
    message: "{method} {url} → {status} {graphCode}: {graphMessage} (request-id {requestId})",
    fix: "The app lacks a permission this call needs; run `entra-connector check` to see which to add.",
    status: 403,
    retryable: false,
    exit: EXIT.permissions,
  },
  GRAPH_NOT_FOUND: {
    message: "{method} {url} → {status} {graphCode}: {graphMessage} (request-id {requestId})",
    status: 404,
    retryable: false,
    exit: EXIT.graph,
  },
  GRAPH_CONFLICT: {
    message: "{method} {url} → {status} {graphCode}: {graphMessage} (request-id {requestId})",
    status: 409,
    retryable: false,
    exit: EXIT.graph,
  },
  GRAPH_THROTTLED: {
    message:
      "{method} {url} → {status} {graphCode}: still throttled after {attempts} attempts (request-id {requestId})",
    fix: "Microsoft Graph's budget for this app and tenant is exhausted; retry later or lower concurrency.",
    status: 429,
    retryable: true,
    exit: EXIT.graph,
  },
  GRAPH_UNAVAILABLE: {
    message: "{method} {url} → {status} {graphCode}: {graphMessage} (request-id {requestId})",
    fix: "Microsoft Graph is temporarily unavailable; retry later.",
    status: 503,
    retryable: true,
    exit: EXIT.graph,
  },
  GRAPH_DELTA_EXPIRED: {
    message: "{method} {url} → {status} {graphCode}: the delta token has expired (request-id {requestId})",
    fix: "Run a full sync; the connector does this automatically and reconciles deletions.",
    status: 410,
    retryable: false,
    exit: EXIT.graph,
  },
  GRAPH_REQUEST_FAILED: {
    message: "{method} {url} → {status} {graphCode}: {graphMessage} (request-id {requestId})",
    status: 502,
    retryable: false,
    exit: EXIT.graph,
  },
  GRAPH_FOREIGN_URL: {
    message: "Refusing to send the Graph token to {origin}: it is not the configured Graph root {graphRoot}.",
    fix: "Pass a path (e.g. /users) or a link that Graph returned for this connection.",
    status: 400,
    retryable: false,
    exit: EXIT.usage,
  },
  FILTER_INVALID: {
    message: "OData filter: {problem}",
    status: 400,
    retryable: false,
    exit: EXIT.usage,
  },
  CHECK_MISSING_PERMISSIONS: {
    message: "Missing permissions for {capabilities}: add {permissions}.",
    fix: "Add the permissions to the app registration, then grant admin consent: {consentUrl}",
    status: 403,
    retryable: false,
    exit: EXIT.permissions,
  },
  // Actions and provisioning (src/actions, src/provisioning).
  INPUT_INVALID: {
    message: "Invalid input for {action}: {problems}",
    fix: "Correct the named fields; `entra-connector actions --json` shows every action's input schema.",
    status: 400,
    retryable: false,
    exit: EXIT.usage,
  },
  ACTION_UNKNOWN: {
    message: "There is no action named {name}.",
    fix: "Use one of: {known}.",
    status: 404,
    retryable: false,
    exit: EXIT.usage,
  },
  OBJECT_NOT_FOUND: {
    message: "No {kind} matches {ref}.",
    fix: "Pass an object id, a userPrincipalName or mail address, or the exact display name; an object created seconds ago may not be visible yet (directory replication), so retry shortly.",
    status: 404,
    retryable: false,
    exit: EXIT.graph,
  },
  OBJECT_AMBIGUOUS: {
    message: "{count} objects of kind {kind} are named {ref}: {candidates}.",
    fix: "Pass the id (or userPrincipalName) of the one you mean.",
    status: 409,
    retryable: false,
    exit: EXIT.usage,
  },
  OBJECT_EXISTS: {
    message: "A {kind} with {property} {value} already exists (id {existingId}).",
    fix: "Use the existing {kind} (id {existingId}), or choose another {property}.",
    status: 409,
    retryable: false,
    exit: EXIT.graph,
  },
  LICENSE_USAGE_LOCATION: {
    message: "{user} has no usage location; Microsoft requires one before a licence can be assigned.",
    fix: 'Pass usageLocation (a two-letter country code such as "US"; --usage-location on the CLI), or set it on the user first.',
    status: 400,
    retryable: false,
    exit: EXIT.graph,
  },
  LICENSE_NO_SEATS: {
    message: "No free seat in {sku}: {consumed} of {enabled} are assigned.",
    fix: "Remove the licence from someone who no longer needs it, or buy more seats in the Microsoft 365 admin centre.",
    status: 409,
    retryable: false,
    exit: EXIT.graph,
  },
  LICENSE_UNKNOWN: {
    message: "The tenant has no subscribed SKU matching {ref}.",
    fix: "Use a skuId or skuPartNumber the tenant has: {available}.",
    status: 404,
    retryable: false,
    exit: EXIT.usage,
  },
  ON_PREMISES_SYNCED: {
    message: "{target} is synchronised from on-premises Active Directory; Graph refuses to change it.",
    fix: "Make the change in on-premises AD (Entra Connect syncs it), or convert the object to cloud-only first.",
    status: 409,
    retryable: false,
    exit: EXIT.graph,
  },
  GROUP_MAIL_ENABLED: {
    message:
      "{target} is a mail-enabled security group or distribution list; Graph cannot create it or change its members.",
    fix: "Manage it in Exchange Online (admin centre or PowerShell), or use a security group or a Microsoft 365 group instead.",
    status: 409,
    retryable: false,
    exit: EXIT.graph,
  },
  GROUP_DYNAMIC: {
    message: "{target} has dynamic membership (rule: {rule}); its members are set by the rule, not by hand.",
    fix: "Change the group's membershipRule, or use a group with assigned membership.",
    status: 409,
    retryable: false,
    exit: EXIT.graph,
  },
  GROUP_LAST_OWNER: {
    message: "Cannot remove {target}: a group must keep at least one owner.",
    fix: "Add another owner first, then remove this one.",
    status: 409,
    retryable: false,
    exit: EXIT.graph,
  },
  PASSWORD_WEAK: {
    message: "The password was refused: {problem}",
    fix: "Use 8–256 characters with three of: upper case, lower case, digits, symbols; avoid the user's name and common words.",
    status: 400,
    retryable: false,
    exit: EXIT.usage,
  },
  UPN_DOMAIN_UNVERIFIED: {
    message: "The userPrincipalName's domain is not a verified domain of this tenant.",
    fix: "Use one of the tenant's verified domains: {verified}.",
    status: 400,
    retryable: false,
    exit: EXIT.usage,
  },
  PERMISSION_MISSING: {
    message:
      "{action} was refused: the app lacks the Graph application permission {permissions} (request-id {requestId}).",
    fix: "Add {permissions} (Microsoft Graph → Application permissions) to the app registration and grant admin consent; `entra-connector check` lists what is missing.",
    status: 403,
    retryable: false,
    exit: EXIT.permissions,
  },
  REPLICATION_LAG: {
    message:
      "The {kind} {id} was created moments ago and Graph still does not see it after {waitedMs} ms (directory replication lag).",
    fix: "Retry in a few seconds; nothing after the create was changed.",
    status: 503,
    retryable: true,
    exit: EXIT.graph,
  },
  PIM_NOT_LICENSED: {
    message:
      "Eligible (PIM) role assignments need Microsoft Entra ID P2 or Governance, which this tenant lacks (request-id {requestId}).",
    fix: "Grant the active role (role:<role>:assigned) instead, or license the tenant for Entra ID P2.",
    status: 403,
    retryable: false,
    exit: EXIT.permissions,
  },
  WRITE_INCOMPLETE: {
    message: "{action} stopped at step '{step}': {cause} Left in place: {left}. Not done: {notDone}.",
    fix: "Fix the cause and run the same action again: steps already done are recognised and not repeated.",
    status: 502,
    retryable: false,
    exit: EXIT.graph,
  },
  PROVISIONING_DISABLED: {
    message: "Writes to the tenant are disabled; {what} was not sent.",
    fix: "Enable writes with --provisioning or ENTRA_PROVISIONING=true, or preview with --dry-run (sends nothing).",
    status: 403,
    retryable: false,
    exit: EXIT.permissions,
  },
  CURSOR_INVALID: {
    message: "The cursor cannot continue this {action} search: {problem}.",
    fix: "Pass the nextCursor returned by the previous call of the same search, unchanged.",
    status: 400,
    retryable: false,
    exit: EXIT.usage,
  },
  ENTITLEMENT_INVALID: {
    message: "Not an entitlement this connector can grant: {entitlement} ({problem}).",
    fix: "Use group:<group>:member, group:<group>:owner, role:<role>:assigned, role:<role>:eligible, app:<app>:assigned, app:<app>:role:<appRole> or license:<sku>:assigned.",
    status: 400,
    retryable: false,
    exit: EXIT.usage,
  },
  STORE_LOCATION_INVALID: {
    message: "The store at {location} cannot be opened: {reason}",
    fix: "Set --store or ENTRA_STORE to a writable SQLite file path whose folder exists.",
    status: 400,
    retryable: false,
    exit: EXIT.usage,
  },
  STORE_NOT_FOUND: {
    message: "There is no store at {location}.",
    fix: "Run `entra-connector sync` first, or point --store / ENTRA_STORE at an existing store.",
    status: 404,
    retryable: false,
    exit: EXIT.usage,
  },
  STORE_UNSUPPORTED: {
    message: "Store locations of the form {scheme} are not supported yet.",
    fix: "Set --store or ENTRA_STORE to a SQLite file path; the PostgreSQL adapter is not available yet.",
    status: 400,
    retryable: false,
    exit: EXIT.usage,
  },
  STORE_SCHEMA_TOO_NEW: {
    message: "The store has schema version {found}, newer than this connector knows ({known}).",
    fix: "Upgrade entra-connector, or point --store at a store this version wrote.",
    status: 500,
    retryable: false,
    exit: EXIT.usage,
  },
  STORE_INPUT_INVALID: {
    message: "{field} {problem}.",
    status: 400,
    retryable: false,
    exit: EXIT.usage,
  },
  STORE_RUN_NOT_FOUND: {
    message: "Run {run} is not in the store.",
    fix: "List runs with `entra-connector runs` and pass a run number or id.",
    status: 404,
    retryable: false,
    exit: EXIT.usage,
  },
  SUBSCRIPTION_SECRET_UNREADABLE: {
    message:
      "The webhook secret of subscription {subscription} could not be decrypted (wrong key or corrupted row).",
    fix: "Use the ENTRA_CONNECTOR_KEY (or .entra-connector/key file) the store was written with, or give the subscription a new secret with ENTRA_WEBHOOK_SECRET (receivers must then use it).",
    status: 500,
    retryable: false,
    exit: EXIT.usage,
  },
  SUBSCRIPTION_LEASED: {
    message:
      "Subscription {subscription} is being delivered by another watcher: {holder}, lease until {until}.",
    fix: "Stop that watcher (its lease is released on exit, or lapses {ttl} after it stops renewing; a killed watcher on this host is taken over at once), or run with --wait to take over when it ends.",
    status: 409,
    retryable: true,
    exit: EXIT.usage,
  },
  SUBSCRIPTION_LEASE_LOST: {
    message:
      "Subscription {subscription} was taken over by {holder} while this watcher delivered it; this watcher stopped.",
    fix: "Run one watcher per subscription (its lease lapsed: was this process paused or the store unreachable for longer than the lease?).",
    status: 409,
    retryable: false,
    exit: EXIT.usage,
  },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

type Placeholders<S> = S extends `${string}{${infer P}}${infer R}` ? P | Placeholders<R> : never;
type SpecParams<C extends ErrorCode> = Placeholders<(typeof ERRORS)[C]["message"]> | FixParams<C>;
type FixParams<C extends ErrorCode> = (typeof ERRORS)[C] extends { fix: infer F } ? Placeholders<F> : never;
/** The parameters a code's templates need, by name. */
export type ErrorParams<C extends ErrorCode> = Record<SpecParams<C>, string | number>;

function fill(template: string, params: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in params ? String(params[name]) : whole,
  );
}

export interface ErrorJSON {
  code: string;
  message: string;
  fix?: string;
  status: number;
  retryable: boolean;
  exitCode: number;
  [detail: string]: unknown;
}

/** Every connector failure: a registry code plus its filled message, fix, status and exit code. */
export class ConnectorError<C extends ErrorCode = ErrorCode> extends Error {
  override name = "ConnectorError";
  readonly code: C;
  readonly fix: string | undefined;
  readonly status: number;
  readonly exitCode: number;
  readonly retryable: boolean;
  readonly params: Readonly<Record<string, string | number>>;

  constructor(code: C, params: ErrorParams<C>, options: { cause?: unknown; retryable?: boolean } = {}) {
    const spec: ErrorSpec = ERRORS[code];
    const p = params as Record<string, string | number>;
    super(fill(spec.message, p), options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.fix = spec.fix === undefined ? undefined : fill(spec.fix, p);
    this.status = spec.status;
    this.exitCode = spec.exit;
    this.retryable = options.retryable ?? spec.retryable;
    this.params = p;
  }

  /** The shape printed by `--json` and the service API. */
  toJSON(): ErrorJSON {
    const out: ErrorJSON = {
      code: this.code,
      message: this.message,
      status: this.status,
      retryable: this.retryable,
      exitCode: this.exitCode,
    };
    if (this.fix !== undefined) out.fix = this.fix;
    return out;
  }
}

/** Shorthand for `new ConnectorError(code, params)`. */
export function createError<C extends ErrorCode>(
  code: C,
  params: ErrorParams<C>,
  options?: { cause?: unknown; retryable?: boolean },
): ConnectorError<C> {
  return new ConnectorError(code, params, options);
}

export function isConnectorError<C extends ErrorCode>(err: unknown, code?: C): err is ConnectorError<C> {
  return err instanceof ConnectorError && (code === undefined || err.code === code);
}

export type GraphErrorCode = Extract<ErrorCode, `GRAPH_${string}`>;

export interface GraphErrorInit {
  code: GraphErrorCode;
  status: number;
  graphCode: string;
  graphMessage: string;
  requestId: string;
  method: string;
  /** The request URL with paging/delta tokens elided; never carries credentials. */
  url: string;
  deltaExpired?: boolean;
  retryable?: boolean;
  attempts?: number;
  /** The `details` array of the Graph error envelope, when present. */
  details?: unknown[];
  cause?: unknown;
}

/** A non-2xx answer from Microsoft Graph, after the client's retries. */
export class GraphError extends ConnectorError<GraphErrorCode> {
  override name = "GraphError";
  readonly httpStatus: number;
  readonly graphCode: string;
  readonly graphMessage: string;
  readonly requestId: string;
  readonly method: string;
  readonly url: string;
  readonly deltaExpired: boolean;
  readonly details: unknown[];

  constructor(init: GraphErrorInit) {
    const params = {
      method: init.method,
      url: init.url,
      status: init.status,
      graphCode: init.graphCode,
      graphMessage: init.graphMessage,
      requestId: init.requestId || "none",
      attempts: init.attempts ?? 1,
    };
    const opts: { cause?: unknown; retryable?: boolean } = { cause: init.cause };
    if (init.retryable !== undefined) opts.retryable = init.retryable;
    super(init.code, params as ErrorParams<GraphErrorCode>, opts);
    this.httpStatus = init.status;
    this.graphCode = init.graphCode;
    this.graphMessage = init.graphMessage;
    this.requestId = init.requestId;
    this.method = init.method;
    this.url = init.url;
    this.deltaExpired = init.deltaExpired ?? false;
    this.details = init.details ?? [];
  }

  override toJSON(): ErrorJSON {
    return {
      ...super.toJSON(),
      httpStatus: this.httpStatus,
      graphCode: this.graphCode,
      requestId: this.requestId,
      method: this.method,
      url: this.url,
      deltaExpired: this.deltaExpired,
    };
  }
}

/** Any thrown value as a ConnectorError (unknown errors become INTERNAL). */
export function toConnectorError(err: unknown): ConnectorError {
  if (err instanceof ConnectorError) return err;
  if (err instanceof Error && err.name === "AbortError") return createError("REQUEST_ABORTED", {});
  const detail = err instanceof Error ? err.message : String(err);
  return createError("INTERNAL", { detail }, { cause: err });
}
