/**
 * Spends the read budget on `$batch`ed reads before they are sent. The client's limiter charges a
 * `$batch` envelope as one request, but Graph charges each inner request on its own (graph-behaviour.md
 * §10–11): twenty member reads are 40 RU, not 1. Without pacing, a full load's batches overrun the
 * budget, and every 429 pauses the whole connection — the users page chain included.
 */
import { Limiter, type TenantSize } from "../graph/limiter.ts";

export interface ReadPacer {
  /** Resolves when `ru` resource units may be spent. */
  spend(ru: number, signal?: AbortSignal): Promise<void>;
}

/**
 * Share of the budget the pacer hands out: list and delta pages go through the client's limiter
 * alone, and estimates can be a little short of what Graph charges.
 */
const SHARE = 0.9;

/** A pacer over the documented read budget for the tenant's size, shared by every stream of a run. */
export function createPacer(tenantSize: TenantSize): ReadPacer {
  // Concurrency is the client's business: the pacer only meters budget.
  const bucket = new Limiter({ tenantSize, concurrency: Number.MAX_SAFE_INTEGER });
  return {
    async spend(ru, signal) {
      await bucket.acquire(ru / SHARE, false, signal);
      bucket.release();
    },
  };
}
