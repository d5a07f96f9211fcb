/**
 * The budget shared by everything using one connection: token buckets of resource units per app and
 * tenant (reads refill over 10 s, writes over 2 min 30 s; docs/graph.md#throttling), a concurrency cap,
 * and a shared pause when Graph says `Retry-After`. A `$batch` is charged what its inner requests cost
 * (Graph throttles each on its own, §10), so this one budget keeps every caller — batched or not —
 * within what Graph allows. Bulk charges (batches) leave the last tenth of the read bucket to single
 * requests: a chain of list pages never queues behind a backlog of batches. Within each class waiters
 * are served first come, first served. The bucket adapts to what Graph reports: the real cost replaces
 * the estimate, and `x-ms-throttle-limit-percentage` caps what we believe is left.
 */
import type { Charge, ReportedUsage } from "./cost.ts";

export type SizeClass = "small" | "medium" | "large";
/** `auto`: the smallest budget until the client has counted the tenant's users (then `resize`). */
export type TenantSize = SizeClass | "auto";

/** Read budget per 10 s by tenant size (< 50, 50–500, > 500 users). */
export const READ_BUDGET: Record<SizeClass, number> = { small: 3500, medium: 5000, large: 8000 };

/** The size class Graph applies to a tenant with `users` users (docs/graph.md#throttling). */
export function tenantSizeFor(users: number): SizeClass {
  if (users < 50) return "small";
  return users <= 500 ? "medium" : "large";
}
const READ_WINDOW_MS = 10_000;
const WRITE_BUDGET = 3000;
const WRITE_WINDOW_MS = 150_000;
/** Share of the read bucket bulk charges may not spend. */
const SINGLE_RESERVE = 0.1;

/**
 * A budget other processes of the same app + tenant spend from too (a row in PostgreSQL, see
 * docs/decisions.md): `take` always grants `amount` units of bucket `key` (holding at most `burst`,
 * refilled at `perMs`) and resolves with how long to wait before spending them — the bucket goes into
 * debt, so takers queue in time and the sum granted never outruns the refill.
 */
export interface SharedBudget {
  take(key: string, amount: number, bucket: { burst: number; perMs: number }): Promise<number>;
}

/**
 * Share of a bucket one take from a shared budget leases (one statement per twentieth of the budget),
 * and how long a lease lasts: what is left unspent after one slice's refill time is dropped. So a
 * process never holds more than about two slices granted earlier, and the shared bucket keeps those two
 * back from its burst: spent from many processes, the sum never exceeds what Graph's bucket allows.
 */
const SLICE_SHARE = 1 / 20;

class Bucket {
  capacity: number;
  tokens: number;
  private perMs: number;
  private last: number;
  private readonly windowMs: number;
  /** Shared: tokens come only from leases, so what other processes spend is never spent twice. */
  private readonly lease: ((amount: number) => Promise<number>) | undefined;
  private leasing = false;
  /** When what a shared bucket holds lapses. */
  private expires = 0;
  private readonly granted: () => void;
  private readonly clock: () => number;
  constructor(
    capacity: number,
    windowMs: number,
    clock: () => number,
    lease?: (amount: number, bucket: { burst: number; perMs: number }) => Promise<number>,
    granted: () => void = () => {},
  ) {
    this.capacity = capacity;
    this.windowMs = windowMs;
    this.perMs = capacity / windowMs;
    this.clock = clock;
    this.last = clock();
    this.lease =
      lease &&
      ((amount) => lease(amount, { burst: this.capacity * (1 - 2 * SLICE_SHARE), perMs: this.perMs }));
    // A shared bucket starts empty: its first lease finds the shared one full.
    this.tokens = lease ? 0 : capacity;
    this.granted = granted;
  }
  /** What bulk charges leave for single requests: a tenth of what this process may hold at once. */
  get holding(): number {
    return this.lease ? this.capacity * SLICE_SHARE : this.capacity;
  }
  /** A new capacity keeps what was already spent in this window spent. */
  resize(capacity: number, now: number): void {
    this.refill(now);
    if (!this.lease) this.tokens += capacity - this.capacity;
    this.capacity = capacity;
    this.perMs = capacity / this.windowMs;
  }
  refill(now: number): void {
    if (!this.lease) this.tokens = Math.min(this.capacity, this.tokens + (now - this.last) * this.perMs);
    else if (now >= this.expires) this.tokens = Math.min(0, this.tokens);
    this.last = now;
  }
  /** ms until `cost` tokens are available (0 = now); a shared bucket short of them leases a slice. */
  waitFor(cost: number): number {
    if (this.tokens >= cost) return 0;
    if (this.lease && !this.leasing) this.take(Math.max(this.holding, cost - this.tokens));
    return Math.ceil((cost - this.tokens) / this.perMs);
  }
  private take(amount: number): void {
    this.leasing = true;
    const add = () => {
      this.leasing = false;
      this.tokens += amount;
      this.expires = this.clock() + this.holding / this.perMs;
      this.granted();
    };
    this.lease!(amount).then(
      (waitMs) => (waitMs > 0 ? setTimeout(add, waitMs).unref() : add()),
      // The database is out of reach: spend at this process's own pace rather than stop (Graph's 429s still pause).
      () => setTimeout(add, Math.ceil(amount / this.perMs)).unref(),
    );
  }
}

interface Waiter {
  charge: Charge;
  resolve: () => void;
  reject: (reason: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

export interface LimiterOptions {
  tenantSize?: TenantSize;
  concurrency?: number;
  now?: () => number;
  /** Spend from a budget shared with other processes under `key` (the app + tenant), not a local one. */
  shared?: { budget: SharedBudget; key: string };
}

export class Limiter {
  private readonly reads: Bucket;
  private readonly writes: Bucket;
  private readonly maxActive: number;
  private readonly now: () => number;
  private active = 0;
  private pausedUntil = 0;
  private readonly queue: Waiter[] = [];
  private timer: NodeJS.Timeout | undefined;
  private timerAt = 0;
  private queued = 0;

  constructor(options: LimiterOptions = {}) {
    this.now = options.now ?? Date.now;
    const size =
      options.tenantSize === undefined || options.tenantSize === "auto" ? "small" : options.tenantSize;
    const shared = options.shared;
    const lease = (bucket: string) =>
      shared &&
      ((amount: number, rates: { burst: number; perMs: number }) =>
        shared.budget.take(`${shared.key}/${bucket}`, amount, rates));
    const granted = () => this.pump();
    this.reads = new Bucket(READ_BUDGET[size], READ_WINDOW_MS, this.now, lease("reads"), granted);
    this.writes = new Bucket(WRITE_BUDGET, WRITE_WINDOW_MS, this.now, lease("writes"), granted);
    this.maxActive = options.concurrency ?? 16;
  }

  /** RU per 10 s this limiter currently spends from (the app + tenant read budget). */
  get readBudget(): number {
    return this.reads.capacity;
  }

  /** How many acquisitions had to wait (budget, pause or concurrency cap); 0 means none was held. */
  get waits(): number {
    return this.queued;
  }

  /** Adopts the read budget of a tenant size learned after construction; waiters may now go sooner. */
  resize(size: SizeClass): void {
    this.reads.resize(READ_BUDGET[size], this.now());
    this.pump();
  }

  /** Waits for a slot and the budget; call `release()` when the request completes. */
  acquire(charge: Charge, signal?: AbortSignal): Promise<void> {
    if (!this.queue.some((w) => w.charge.bulk === charge.bulk) && this.delay(charge) === 0) {
      this.take(charge);
      return Promise.resolve();
    }
    if (signal?.aborted) return Promise.reject(signal.reason);
    this.queued++;
    return new Promise<void>((resolve, reject) => {
      const w: Waiter = { charge, resolve, reject, signal, onAbort: undefined };
      if (signal) {
        w.onAbort = () => {
          const i = this.queue.indexOf(w);
          if (i >= 0) this.queue.splice(i, 1);
          reject(signal.reason);
          this.pump();
        };
        signal.addEventListener("abort", w.onAbort, { once: true });
      }
      this.queue.push(w);
      this.pump();
    });
  }

  release(): void {
    this.active--;
    if (this.queue.length > 0) this.pump();
  }

  /** Everyone waits until `ms` from now (a 429's Retry-After applies to the whole app + tenant). */
  pause(ms: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, this.now() + ms);
  }

  /** Adapts to the service's accounting once an answer arrives. */
  observe(estimated: Charge, reported: ReportedUsage): void {
    if (reported.ru !== undefined) this.reads.tokens -= reported.ru - this.readCost(estimated);
    const pct = reported.percentage;
    if (pct !== undefined && pct > 0) {
      const bucket = estimated.writes > 0 ? this.writes : this.reads;
      bucket.tokens = Math.min(bucket.tokens, bucket.capacity * Math.max(0, 1 - pct / 100));
    }
  }

  /** RU actually taken: a charge larger than the bucket could never be served, so it takes it all. */
  private readCost(charge: Charge): number {
    return Math.min(charge.ru, this.reads.capacity - this.reserve(charge));
  }

  private reserve(charge: Charge): number {
    return charge.bulk ? this.reads.holding * SINGLE_RESERVE : 0;
  }

  private delay(charge: Charge): number {
    if (this.active >= this.maxActive) return Number.POSITIVE_INFINITY;
    const now = this.now();
    this.reads.refill(now);
    this.writes.refill(now);
    return Math.max(
      this.pausedUntil - now,
      this.reads.waitFor(this.readCost(charge) + this.reserve(charge)),
      charge.writes > 0 ? this.writes.waitFor(Math.min(charge.writes, this.writes.capacity)) : 0,
      0,
    );
  }

  private take(charge: Charge): void {
    this.active++;
    this.reads.tokens -= this.readCost(charge);
    this.writes.tokens -= Math.min(charge.writes, this.writes.capacity);
  }

  /**
   * Serves every waiter that may go, in order within its class (single or bulk): a bulk waiter held
   * by the reserve does not hold up the single requests behind it, nor they it.
   */
  private pump(): void {
    let soonest = Number.POSITIVE_INFINITY;
    const blocked = new Set<boolean>();
    for (let i = 0; i < this.queue.length; ) {
      const w = this.queue[i]!;
      if (blocked.has(w.charge.bulk)) {
        i++;
        continue;
      }
      const wait = this.delay(w.charge);
      if (wait === Number.POSITIVE_INFINITY) return; // at the concurrency cap: a release() pumps again
      if (wait > 0) {
        blocked.add(w.charge.bulk);
        soonest = Math.min(soonest, wait);
        i++;
        continue;
      }
      this.queue.splice(i, 1);
      if (w.onAbort) w.signal?.removeEventListener("abort", w.onAbort);
      this.take(w.charge);
      w.resolve();
    }
    if (soonest !== Number.POSITIVE_INFINITY) this.wakeIn(soonest);
  }

  private wakeIn(ms: number): void {
    const at = this.now() + ms;
    if (this.timer !== undefined) {
      if (this.timerAt <= at) return;
      clearTimeout(this.timer);
    }
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.pump();
    }, ms);
  }
}
