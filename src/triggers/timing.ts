/** The webhook retry policy: pure. */
import type { BackoffPolicy } from "../common/retry-after.ts";

/** A webhook's retry steps (`--retry-base`, doubled per attempt up to `maxMs`); waits come from `backoffMs`. */
export type RetryPolicy = BackoffPolicy;
