import { abortable } from "../graph/call.ts";
import type { StoredToken, TokenProvider } from "./types.ts";

export interface CachedProviderOptions {
  /** Fetch a fresh token; `current` is the last one known (carries the refresh token when delegated). */
  acquire(current: StoredToken | undefined): Promise<StoredToken>;
  /** Persisted token to start from (the encrypted store), if any. */
  load?: () => Promise<StoredToken | undefined>;
  save?: (token: StoredToken) => Promise<void>;
  now?: () => number;
}

/** Refresh this long before expiry: five minutes, or half the lifetime of short-lived tokens. */
export function refreshMarginMs(token: StoredToken): number {
  return Math.min(5 * 60_000, (token.expiresIn * 1000) / 2);
}

/**
 * Reuses a token until shortly before it expires, and lets only one acquisition run at a time: all
 * callers that arrive while one is in flight share its result (100 concurrent callers, one request).
 * A caller's AbortSignal abandons its own wait, never the shared acquisition.
 */
export function cachedTokenProvider(options: CachedProviderOptions): TokenProvider {
  const now = options.now ?? Date.now;
  let current: StoredToken | undefined;
  let loaded = options.load === undefined;
  let inflight: Promise<StoredToken> | undefined;
  let acquisitions = 0;

  const fresh = (t: StoredToken | undefined): t is StoredToken =>
    t !== undefined && now() < t.expiresAt - refreshMarginMs(t);

  async function refresh(force: boolean): Promise<StoredToken> {
    if (!loaded) {
      loaded = true;
      current = (await options.load?.()) ?? current;
      if (!force && fresh(current)) return current;
    }
    acquisitions++;
    const token = await options.acquire(current);
    current = token;
    await options.save?.(token);
    return token;
  }

  /** Runs `refresh` as the one acquisition in flight, after the one already running if any. */
  function start(force: boolean): Promise<StoredToken> {
    const run = (inflight ?? Promise.resolve())
      .catch(() => {})
      .then(() => refresh(force))
      .finally(() => {
        if (inflight === run) inflight = undefined;
      });
    inflight = run;
    return run;
  }

  const wait = (p: Promise<StoredToken>, signal: AbortSignal | undefined) =>
    signal ? abortable(p, signal) : p;

  return {
    get acquisitions() {
      return acquisitions;
    },
    getToken(signal?: AbortSignal): Promise<StoredToken> {
      if (fresh(current)) return Promise.resolve(current);
      return wait(inflight ?? start(false), signal);
    },
    signIn(signal?: AbortSignal): Promise<StoredToken> {
      return wait(start(true), signal);
    },
    invalidate(accessToken: string): void {
      // Keep the refresh token: only the access token was rejected.
      if (current?.accessToken === accessToken) current = { ...current, expiresAt: 0 };
    },
  };
}
