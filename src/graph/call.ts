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
