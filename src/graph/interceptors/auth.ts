import type { TokenProvider } from "../../common/tokens.ts";
import type { Interceptor } from "../call.ts";

/**
 * Adds the bearer token. When Graph answers 401 InvalidAuthenticationToken (expired or revoked
 * before its time), the token is dropped, a new one fetched, and the request retried once.
 */
export function authInterceptor(tokens: TokenProvider): Interceptor {
  return (next) => async (call) => {
    const token = await tokens.getToken(call.signal);
    call.headers["authorization"] = `${token.tokenType} ${token.accessToken}`;
    const res = await next(call);
    if (
      res.status !== 401 ||
      (res.body as { error?: { code?: string } } | null)?.error?.code !== "InvalidAuthenticationToken"
    ) {
      return res;
    }
    tokens.invalidate(token.accessToken);
    const fresh = await tokens.getToken(call.signal);
    call.headers["authorization"] = `${fresh.tokenType} ${fresh.accessToken}`;
    return next(call);
  };
}
