import { CLOUD_NAMES, CLOUDS } from "../common/clouds.ts";
import { isGuid } from "../common/ids.ts";
import { type ConnectorError, createError } from "../errors.ts";

/** The JSON error body of the token endpoint (docs/graph.md#token-endpoint). */
export interface TokenErrorBody {
  error?: string;
  error_description?: string;
  error_codes?: number[];
  /** The login service's own clock, "2022-10-31 09:03:41Z". */
  timestamp?: string;
}

export interface LoginContext {
  tenant: string;
  clientId: string;
  authorityHost: string;
  consentUrl: string;
  /** Only inspected for its shape (a GUID means the Secret ID was pasted); never printed. */
  clientSecret?: string;
}

/** Past this difference between our clock and the login service's, assertions and tokens misbehave. */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000;

const CERT_CODES = new Set([700027, 7000274, 7000277, 700023, 700030, 50012]);
const REFRESH_CODES = new Set([70008, 700082, 700084, 54005, 50173, 70000]);
const CROSS_CLOUD_CODES = new Set([900382, 900384, 900371]);

export function clockSkewMs(serverDate: string | undefined, now = Date.now()): number {
  if (!serverDate) return 0;
  const t = Date.parse(serverDate);
  return Number.isNaN(t) ? 0 : now - t;
}

export function describeSkew(ms: number): string {
  const s = Math.round(Math.abs(ms) / 1000);
  const text = s >= 120 ? `${Math.round(s / 60)} minutes` : `${s} seconds`;
  return `${text} ${ms > 0 ? "ahead" : "behind"}`;
}

/**
 * Maps a token endpoint failure to a cause the user can act on (wrong secret vs. secret ID, expired
 * secret, unknown tenant or client, disabled app, missing consent, wrong cloud, clock skew).
 */
export function loginError(
  status: number,
  body: TokenErrorBody,
  serverDate: string | undefined,
  ctx: LoginContext,
): ConnectorError {
  const code = body.error_codes?.[0] ?? Number(/AADSTS(\d+)/.exec(body.error_description ?? "")?.[1] ?? 0);
  const aadsts = code ? `AADSTS${code}` : body.error || `HTTP ${status}`;
  const reason = (body.error_description ?? body.error ?? `HTTP ${status}`).split(/\r?\n/)[0]!.trim();
  // The body's timestamp is the login service's clock; the Date header may come from a proxy.
  const serverTime = body.timestamp ? body.timestamp.replace(" ", "T") : serverDate;
  const skew = clockSkewMs(serverTime);
  const { clientId, tenant, authorityHost, consentUrl } = ctx;

  if (code === 700024 || Math.abs(skew) > MAX_CLOCK_SKEW_MS) {
    return createError("AUTH_CLOCK_SKEW", { skew: describeSkew(skew), aadsts });
  }
  switch (code) {
    case 7000215:
      return ctx.clientSecret !== undefined && isGuid(ctx.clientSecret.trim())
        ? createError("AUTH_SECRET_ID_PASTED", {})
        : createError("AUTH_INVALID_SECRET", { clientId });
    case 7000222:
      return createError("AUTH_SECRET_EXPIRED", { clientId });
    case 90002:
      return createError("AUTH_UNKNOWN_TENANT", { tenant, authorityHost });
    case 700016:
      return createError("AUTH_UNKNOWN_CLIENT", { clientId, tenant });
    case 7000112:
      return createError("AUTH_APP_DISABLED", { clientId });
    case 65001:
      return createError("AUTH_CONSENT_REQUIRED", { clientId, consentUrl });
  }
  if (CERT_CODES.has(code)) return createError("AUTH_INVALID_CERTIFICATE", { clientId, aadsts });
  if (REFRESH_CODES.has(code) || body.error === "invalid_grant") {
    return createError("AUTH_REFRESH_EXPIRED", { aadsts, reason });
  }
  // AADSTS500011 naming a Graph host: this login service's cloud has no such resource (wrong cloud).
  const foreignGraph = CLOUD_NAMES.find((c) => reason.includes(`${CLOUDS[c].graphUrl} `));
  if (code === 500011 && foreignGraph) {
    return createError("AUTH_WRONG_CLOUD", {
      detail: `${authorityHost} does not know ${CLOUDS[foreignGraph].graphUrl} (${aadsts}): the login host and the Graph resource belong to different clouds`,
    });
  }
  if (CROSS_CLOUD_CODES.has(code)) {
    return createError("AUTH_WRONG_CLOUD", { detail: `${aadsts}: ${reason}` });
  }
  return createError("AUTH_FAILED", { aadsts, reason, aadstsNumber: code || "" });
}
