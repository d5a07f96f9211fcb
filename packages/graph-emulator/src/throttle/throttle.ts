import { TokenBucket } from "./buckets.ts";

/**
 * The identity-and-access throttling model of docs/graph.md#throttling, for one tenant:
 * - reads: app+tenant bucket sized by tenant users (3,500 / 5,000 / 8,000 RU per 10 s);
 * - writes: app+tenant 3,000 per 150 s, and tenant-wide (all apps) 18,000 per 5 min, one unit each;
 * - a global 2,000 requests per second per app.
 * Budgets can be scaled down for tests (`readBudget`, `writeBudget`) so a burst is throttled quickly.
 */
export interface ThrottleSettings {
  enabled: boolean;
  /** Overrides the size-based read budget (RU per 10 s). */
  readBudget?: number;
  /** Overrides the app+tenant write budget (units per 150 s). */
  writeBudget?: number;
}

export type ThrottleDecision =
  | { ok: true; headers: Record<string, string> }
  | { ok: false; retryAfterSec: number; headers: Record<string, string> };

export function readBudgetFor(tenantUsers: number): number {
  if (tenantUsers < 50) return 3500;
  if (tenantUsers <= 500) return 5000;
  return 8000;
}

export class Throttle {
  #settings: ThrottleSettings;
  readonly #buckets = new Map<string, TokenBucket>();
  readonly #now: () => number;

  constructor(settings: ThrottleSettings, now: () => number = Date.now) {
    this.#settings = { ...settings };
    this.#now = now;
  }

  get settings(): ThrottleSettings {
    return { ...this.#settings };
  }

  configure(settings: Partial<ThrottleSettings>): void {
    this.#settings = { ...this.#settings, ...settings };
    this.#buckets.clear();
  }

  /**
   * Charges one request: `cost` RU against the read bucket, plus one write unit for writes.
   * Nothing is taken from any bucket when the request is refused.
   */
  charge(call: {
    appId: string;
    tenantId: string;
    tenantUsers: number;
    cost: number;
    write: boolean;
  }): ThrottleDecision {
    const headers: Record<string, string> = { "x-ms-resource-unit": String(call.cost) };
    if (!this.#settings.enabled) return { ok: true, headers };
    const now = this.#now();
    const readBudget = this.#settings.readBudget ?? readBudgetFor(call.tenantUsers);
    const reads = this.#bucket(`r:${call.appId}`, readBudget, 10_000, now);
    const perSecond = this.#bucket(`s:${call.appId}`, 2000, 1000, now);
    const checks: [TokenBucket, number, string][] = [
      [perSecond, 1, "Application"],
      [reads, call.cost, "Tenant_Application"],
    ];
    if (call.write) {
      checks.push([
        this.#bucket(`w:${call.appId}`, this.#settings.writeBudget ?? 3000, 150_000, now),
        1,
        "Tenant_Application",
      ]);
      checks.push([this.#bucket("w:tenant", 18_000, 300_000, now), 1, "Tenant"]);
    }
    for (const [bucket, cost, scope] of checks) {
      const wait = bucket.waitFor(cost, now);
      if (wait > 0) {
        const retryAfterSec = Math.max(1, Math.ceil(wait * 1000) / 1000);
        const scopeValue =
          scope === "Tenant"
            ? `Tenant/ReadWrite/${call.tenantId}`
            : `${scope}/ReadWrite/${call.appId}/${call.tenantId}`;
        return {
          ok: false,
          retryAfterSec,
          headers: {
            ...headers,
            "x-ms-throttle-scope": scopeValue,
            "x-ms-throttle-information": "ResourceUnitLimitExceeded",
          },
        };
      }
    }
    for (const [bucket, cost] of checks) bucket.take(cost);
    // Graph reports the share of the limit used once it passes 80%, from 0.8 up to 1.8.
    const used = reads.used(now);
    if (used > 0.8) headers["x-ms-throttle-limit-percentage"] = used.toFixed(2);
    return { ok: true, headers };
  }

  #bucket(key: string, capacity: number, windowMs: number, now: number): TokenBucket {
    let bucket = this.#buckets.get(key);
    if (!bucket || bucket.capacity !== capacity) {
      bucket = new TokenBucket(capacity, windowMs, now);
      this.#buckets.set(key, bucket);
    }
    return bucket;
  }
}
