/**
 * What the targets that speak HTTP share: settings checks, a connection pool held to a concurrency and a
 * request rate, answers parsed as JSON where they are JSON, and the wait before a retry (the service's
 * `Retry-After`, else our backoff).
 */
import { Agent, type Dispatcher, request } from "undici";
import { type BackoffPolicy, backoffMs, parseRetryAfter, SERVICE_BACKOFF } from "../../common/retry-after.ts";
import { sleep as defaultSleep } from "../../common/sleep.ts";
import { createError, isConnectorError } from "../../errors.ts";

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

export interface HttpLimits {
  /** Requests in flight at once (default 4). */
  concurrency?: number;
  /** Requests started per second (default 10). */
  ratePerSecond?: number;
  /** Per request (default 30 s). */
  timeoutMs?: number;
  /** Attempts per request, the first included (default 5). */
  maxAttempts?: number;
  backoff?: BackoffPolicy;
  dispatcher?: Dispatcher;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** Failures where the request may not have reached the service or it asked to be asked again. */
export function isTransient(err: unknown): boolean {
  return isConnectorError(err) && err.retryable;
}

export function isTransientStatus(status: number): boolean {
  return status === 429 || status >= 500;
}

export function invalid(field: string, problem: string): never {
  throw createError("TARGET_CONFIG_INVALID", { field, problem });
}

export function positiveInt(field: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1)
    invalid(field, `must be a whole number of 1 or more, not ${value}`);
  return value;
}

export function httpUrl(field: string, value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    invalid(field, `"${value}" is not a URL; give an absolute http(s) URL`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:")
    invalid(field, `must be http(s), not ${url.protocol}`);
  if (url.username || url.password)
    invalid(field, "must not carry credentials; give them in the target's auth settings");
  return url;
}

export interface HttpClient {
  readonly dispatcher: Dispatcher;
  readonly timeoutMs: number;
  readonly maxAttempts: number;
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  /** One request within the limits; throws only when no answer came (connection, timeout). */
  send(method: string, url: string, headers: Record<string, string>, body?: string): Promise<HttpResponse>;
  /** How long to wait before attempt `attempt + 1`: the service's `Retry-After`, else our backoff. */
  retryWait(res: HttpResponse | undefined, attempt: number): number;
  close(): Promise<void>;
}

export function httpClient(limits: HttpLimits): HttpClient {
  const concurrency = positiveInt("concurrency", limits.concurrency, 4);
  const ratePerSecond = positiveInt("ratePerSecond", limits.ratePerSecond, 10);
  const timeoutMs = positiveInt("timeoutMs", limits.timeoutMs, 30_000);
  const maxAttempts = positiveInt("maxAttempts", limits.maxAttempts, 5);
  const policy = limits.backoff ?? SERVICE_BACKOFF;
  const now = limits.now ?? Date.now;
  const sleep = limits.sleep ?? defaultSleep;
  // A pool of its own, as wide as the concurrency, so `close` can end its connections; one passed in is the caller's.
  const dispatcher = limits.dispatcher ?? new Agent({ connections: concurrency });
  let closing: Promise<void> | undefined;

  // Concurrency: a count and a queue of waiters; rate: each start takes the next free slot.
  let active = 0;
  const waiting: (() => void)[] = [];
  let nextSlot = 0;
  async function acquire(): Promise<void> {
    if (active >= concurrency) await new Promise<void>((resolve) => waiting.push(resolve));
    else active++;
    const t = now();
    const slot = Math.max(t, nextSlot);
    nextSlot = slot + 1000 / ratePerSecond;
    if (slot > t) await sleep(slot - t);
  }
  function release(): void {
    const next = waiting.shift();
    if (next) next();
    else active--;
  }

  return {
    dispatcher,
    timeoutMs,
    maxAttempts,
    now,
    sleep,
    async send(method, url, headers, body) {
      await acquire();
      try {
        const res = await request(url, {
          method: method as Dispatcher.HttpMethod,
          headers,
          ...(body !== undefined ? { body } : {}),
          signal: AbortSignal.timeout(timeoutMs),
          dispatcher,
        });
        const text = await res.body.text();
        let parsed: unknown;
        try {
          parsed = text === "" ? undefined : JSON.parse(text);
        } catch {
          parsed = text;
        }
        return { status: res.statusCode, headers: res.headers, body: parsed };
      } finally {
        release();
      }
    },
    retryWait(res, attempt) {
      const header = res?.headers["retry-after"];
      return parseRetryAfter(Array.isArray(header) ? header[0] : header, now()) ?? backoffMs(attempt, policy);
    },
    async close() {
      if (limits.dispatcher !== undefined) return;
      closing ??= dispatcher.close();
      await closing;
    },
  };
}
