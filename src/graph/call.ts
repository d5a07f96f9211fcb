import type { Charge } from "./cost.ts";
import type { HttpMethod } from "./types.ts";

/** One HTTP attempt's worth of request, as the interceptors see it. */
export interface GraphCall {
  method: HttpMethod;
  /** Absolute URL on the Graph root (never another origin). */
  url: string;
  headers: Record<string, string>;
  /** Serialised JSON body. */
  body: string | undefined;
  signal: AbortSignal | undefined;
  timeoutMs: number;
  /** Safe to repeat after an ambiguous failure (5xx, reset): GET, or a write the caller marked idempotent. */
  idempotent: boolean;
  /** Estimated spend from the shared budget (docs/graph.md#throttling); a `$batch` charges its inner requests. */
  charge: Charge;
  /** Attempts made so far (the retry interceptor counts them). */
  attempts: number;
}

/** An HTTP answer of any status; turning non-2xx into GraphError is the client's last step. */
export interface RawResponse {
  status: number;
  /** Lower-case names. */
  headers: Record<string, string>;
  body: unknown;
  requestId: string;
}

export type Send = (call: GraphCall) => Promise<RawResponse>;
/** Wraps a Send with one concern (auth, throttling, retry, logging). */
export type Interceptor = (next: Send) => Send;

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** Stops waiting for a shared promise when `signal` aborts, without cancelling it for other waiters. */
export function abortable<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener("abort", onAbort);
        reject(e);
      },
    );
  });
}
