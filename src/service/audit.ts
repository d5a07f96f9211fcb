/** The audit record of a state-changing API call: what, on what, and the token that asked. */
import type { Store } from "../store/types.ts";
import type { Caller } from "./api-tokens.ts";

export interface ApiCall {
  /** e.g. `sync.start`, `subscription.create`. */
  action: string;
  target: string;
  token: Caller | undefined;
  requestId: string;
  /** The client's address (behind a trusted proxy, the one it forwarded). */
  ip?: string;
  /** What was asked, secrets left out by the caller (the store masks secret-looking keys again). */
  input?: unknown;
  result?: "succeeded" | "failed";
}

export async function recordApiCall(store: Store, call: ApiCall): Promise<void> {
  await store.audit.record({
    action: call.action,
    target: call.target,
    input: call.input ?? {},
    result: call.result ?? "succeeded",
    requestId: call.requestId,
    detail: {
      actor: call.token?.name ?? "anonymous",
      requestId: call.requestId,
      ...(call.ip ? { ip: call.ip } : {}),
    },
  });
}
