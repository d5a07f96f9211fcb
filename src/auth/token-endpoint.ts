import type { Dispatcher } from "undici";
import { decodeClaims } from "../common/claims.ts";
import { cloudsOfHost } from "../common/clouds.ts";
import { backoffMs, parseRetryAfter } from "../common/retry-after.ts";
import { sleep } from "../common/sleep.ts";
import type { StoredToken } from "../common/tokens.ts";
import { ConnectorError, createError } from "../errors.ts";
import { networkError } from "../graph/http.ts";
import type { Logger } from "../log/logger.ts";
import {
  clockSkewMs,
  describeSkew,
  type LoginContext,
  loginError,
  MAX_CLOCK_SKEW_MS,
  type TokenErrorBody,
} from "./login-errors.ts";

export interface TokenEndpoint {
  dispatcher: Dispatcher;
  /** `https://{authority host}/{tenant}/oauth2/v2.0/token` */
  url: string;
  timeoutMs: number;
  context: LoginContext;
  logger: Logger;
  /** The Graph resource the token must be for (e.g. https://graph.microsoft.com), to spot wrong clouds. */
  resource: string | undefined;
}

interface TokenSuccessBody {
  token_type?: string;
  access_token?: string;
  expires_in?: number | string;
  ext_expires_in?: number | string;
  refresh_token?: string;
}

/** Transient token endpoint answers worth another try (the grant had no effect). */
const TRANSIENT_STATUS = new Set([429, 500, 502, 503, 504]);
const MAX_ATTEMPTS = 3;

interface RawAnswer {
  status: number;
  body: unknown;
  headers: Dispatcher.ResponseData["headers"];
}

async function post(
  endpoint: TokenEndpoint,
  form: Record<string, string>,
  signal?: AbortSignal,
): Promise<RawAnswer> {
  const deadline = AbortSignal.timeout(endpoint.timeoutMs);
  const url = new URL(endpoint.url);
  let res: Dispatcher.ResponseData;
  let text: string;
  try {
    res = await endpoint.dispatcher.request({
      origin: url.origin,
      path: url.pathname + url.search,
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
      body: new URLSearchParams(form).toString(),
      signal: signal ? AbortSignal.any([signal, deadline]) : deadline,
    });
    text = await res.body.text();
  } catch (err) {
    const timedOut = deadline.aborted && !signal?.aborted;
    throw networkError(
      timedOut ? Object.assign(new Error("timeout"), { code: "UND_ERR_HEADERS_TIMEOUT" }) : err,
      {
        method: "POST",
        url: endpoint.url,
        timeoutMs: endpoint.timeoutMs,
      },
    );
  }
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : {};
  } catch {
    body = { error: "invalid_response", error_description: `non-JSON answer (HTTP ${res.statusCode})` };
  }
  return { status: res.statusCode, body, headers: res.headers };
}

/**
 * POSTs one grant to the token endpoint and returns the token in the stored shape. Transient
 * failures (429/5xx, resets, timeouts) are tried again a few times with a fresh form each time (a new
 * client assertion); other failures become the typed login errors of login-errors.ts. The form
 * (which holds secrets) is never logged.
 */
export async function redeem(
  endpoint: TokenEndpoint,
  makeForm: () => Record<string, string>,
  signal?: AbortSignal,
): Promise<StoredToken> {
  const started = Date.now();
  let answer: RawAnswer | undefined;
  for (let attempt = 1; ; attempt++) {
    const form = makeForm();
    try {
      answer = await post(endpoint, form, signal);
    } catch (err) {
      const transient =
        err instanceof ConnectorError && (err.code === "NET_FAILED" || err.code === "NET_TIMEOUT");
      if (!transient || attempt >= MAX_ATTEMPTS) throw err;
      await sleep(backoffMs(attempt), signal);
      continue;
    }
    endpoint.logger.debug(
      {
        grant: form["grant_type"],
        status: answer.status,
        ms: Date.now() - started,
        url: endpoint.url,
        attempt,
      },
      "token endpoint",
    );
    if (!TRANSIENT_STATUS.has(answer.status) || attempt >= MAX_ATTEMPTS) break;
    const retryAfter = parseRetryAfter(headerValue(answer.headers["retry-after"]));
    await sleep(retryAfter ?? backoffMs(attempt), signal);
  }
  const { status, body } = answer;
  if (status !== 200) {
    throw loginError(status, body as TokenErrorBody, headerValue(answer.headers["date"]), endpoint.context);
  }
  const skew = clockSkewMs(headerValue(answer.headers["date"]));
  if (Math.abs(skew) > MAX_CLOCK_SKEW_MS) {
    // Signed in, but Graph checks token times against its own clock: say so before calls fail.
    endpoint.logger.warn(
      { skew: describeSkew(skew) },
      "this machine's clock differs from the login service's",
    );
  }
  const ok = body as TokenSuccessBody;
  if (!ok.access_token) {
    throw createError("AUTH_FAILED", {
      aadsts: "no access_token",
      reason: "the token endpoint answered without a token",
      aadstsNumber: "",
    });
  }
  checkAudience(ok.access_token, endpoint.resource);
  const expiresIn = Number(ok.expires_in ?? 3599);
  const claims = decodeClaims(ok.access_token);
  const token: StoredToken = {
    tokenType: ok.token_type ?? "Bearer",
    accessToken: ok.access_token,
    expiresIn,
    extExpiresIn: Number(ok.ext_expires_in ?? expiresIn),
    expiresAt: started + expiresIn * 1000,
    tenantId: typeof claims?.tid === "string" ? claims.tid : endpoint.context.tenant,
  };
  if (ok.refresh_token) token.refreshToken = ok.refresh_token;
  return token;
}

/** A token minted for another cloud's Graph is useless here (docs/graph.md#clouds): say so now. */
export function checkAudience(accessToken: string, resource: string | undefined): void {
  const aud = decodeClaims(accessToken)?.aud;
  if (!resource || typeof aud !== "string" || !aud.startsWith("https://")) return;
  const want = new URL(resource).host;
  const got = new URL(aud).host;
  if (want !== got && cloudsOfHost(aud).length > 0) {
    throw createError("AUTH_WRONG_CLOUD", {
      detail: `the token was issued for ${aud} (${cloudsOfHost(aud).join("/")} cloud) but this connection uses ${resource}`,
    });
  }
}

export function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
