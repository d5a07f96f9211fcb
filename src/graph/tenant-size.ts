import { abortable } from "../common/sleep.ts";
import type { Logger } from "../log/logger.ts";
import type { RawResponse } from "./call.ts";
import { type Limiter, type SizeClass, type TenantSize, tenantSizeFor } from "./limiter.ts";

/**
 * Graph sizes the app + tenant read budget by the tenant's user count (docs/graph.md#throttling), so
 * with `tenantSize: auto` the client counts the users once (`GET /users/$count`, 1 RU) before its
 * first request and resizes the limiter. Counting is an optimisation, never a precondition: a refusal
 * (403 without User.Read.All, a failed sign-in, a timeout) leaves the smallest budget, and the caller's
 * own request then goes ahead and reports whatever is really wrong.
 */
export interface TenantSizer {
  /** Resolves once the size is known (at once when configured); never rejects except on `signal`. */
  ready(signal?: AbortSignal): Promise<SizeClass>;
}

/** The user count in a `$count` answer (text/plain), or undefined if the answer is not one. */
export function parseUserCount(res: RawResponse): number | undefined {
  if (res.status !== 200) return undefined;
  const text = typeof res.body === "number" || typeof res.body === "string" ? String(res.body).trim() : "";
  const n = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  return Number.isSafeInteger(n) ? n : undefined;
}

export function createTenantSizer(
  setting: TenantSize,
  limiter: Limiter,
  countUsers: () => Promise<RawResponse>,
  logger: Logger,
): TenantSizer {
  let known: Promise<SizeClass> | undefined = setting === "auto" ? undefined : Promise.resolve(setting);

  async function learn(): Promise<SizeClass> {
    let users: number | undefined;
    let reason = "";
    try {
      const res = await countUsers();
      users = parseUserCount(res);
      if (users === undefined) reason = `HTTP ${res.status}`;
    } catch (err) {
      reason = err instanceof Error ? err.message : String(err);
    }
    if (users === undefined) {
      logger.debug({ reason }, "could not count the tenant's users; keeping the smallest read budget");
      return "small";
    }
    const size = tenantSizeFor(users);
    limiter.resize(size);
    logger.debug({ users, size, readBudget: limiter.readBudget }, "read budget sized by user count");
    return size;
  }

  return {
    ready(signal) {
      known ??= learn();
      // The count is shared: a caller giving up stops waiting without cancelling it for others.
      return signal ? abortable(known, signal) : known;
    },
  };
}
