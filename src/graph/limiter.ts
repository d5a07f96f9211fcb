/**
 * The budget shared by everything using one connection: token buckets of resource units per app and
 * tenant (reads refill over 10 s, writes over 2 min 30 s; graph-behaviour.md §11), a concurrency cap,
 * and a shared pause when Graph says `Retry-After`. Waiters are served first come, first served.
 * The bucket adapts to what Graph reports: the real cost (`x-ms-resource-unit`) replaces the estimate,
 * and `x-ms-throttle-limit-percentage` caps what we believe is left.
 */
export type SizeClass = "small" | "medium" | "large";
/** `auto`: the smallest budget until the client has counted the tenant's users (then `resize`). */
export type TenantSize = SizeClass | "auto";

/** Read budget per 10 s by tenant size (< 50, 50–500, > 500 users). */
export const READ_BUDGET: Record<SizeClass, number> = { small: 3500, medium: 5000, large: 8000 };

/** The size class Graph applies to a tenant with `users` users (graph-behaviour.md §11). */
export function tenantSizeFor(users: number): SizeClass {
  if (users < 50) return "small";
  return users <= 500 ? "medium" : "large";
}
const READ_WINDOW_MS = 10_000;
const WRITE_BUDGET = 3000;
const WRITE_WINDOW_MS = 150_000;

class Bucket {
  capacity: number;
  tokens: number;
  private perMs: number;
  private last: number;
  private readonly windowMs: number;
  constructor(capacity: number, windowMs: number, now: number) {
    this.capacity = capacity;
    this.tokens = capacity;
    this.windowMs = windowMs;
    this.perMs = capacity / windowMs;
    this.last = now;
  }
  /** A new capacity keeps what was already spent in this window spent. */
  resize(capacity: number, now: number): void {
    this.refill(now);
    this.tokens += capacity - this.capacity;
    this.capacity = capacity;
    this.perMs = capacity / this.windowMs;
  }
  refill(now: number): void {
    this.tokens = Math.min(this.capacity, this.tokens + (now - this.last) * this.perMs);
    this.last = now;
  }
  /** ms until `cost` tokens are available (0 = now). */
  waitFor(cost: number): number {
    return this.tokens >= cost ? 0 : Math.ceil((cost - this.tokens) / this.perMs);
  }
}

interface Waiter {
  cost: number;
  write: boolean;
  resolve: () => void;
  reject: (reason: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

export interface LimiterOptions {
  tenantSize?: TenantSize;
  concurrency?: number;
  now?: () => number;
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

  constructor(options: LimiterOptions = {}) {
    this.now = options.now ?? Date.now;
    const size =
      options.tenantSize === undefined || options.tenantSize === "auto" ? "small" : options.tenantSize;
    this.reads = new Bucket(READ_BUDGET[size], READ_WINDOW_MS, this.now());
    this.writes = new Bucket(WRITE_BUDGET, WRITE_WINDOW_MS, this.now());
    this.maxActive = options.concurrency ?? 16;
  }

  /** RU per 10 s this limiter currently spends from (the app + tenant read budget). */
  get readBudget(): number {
    return this.reads.capacity;
  }

  /** Adopts the read budget of a tenant size learned after construction; waiters may now go sooner. */
  resize(size: SizeClass): void {
    this.reads.resize(READ_BUDGET[size], this.now());
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.pump();
  }

  /** Waits for a slot and the budget; call `release()` when the request completes. */
  acquire(cost: number, write: boolean, signal?: AbortSignal): Promise<void> {
    const c = Math.min(cost, this.reads.capacity);
    if (this.queue.length === 0 && this.delay(c, write) === 0) {
      this.take(c, write);
      return Promise.resolve();
    }
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<void>((resolve, reject) => {
      const w: Waiter = { cost: c, write, resolve, reject, signal, onAbort: undefined };
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
  observe(estimated: number, write: boolean, headers: Record<string, string>): void {
    const ru = Number(headers["x-ms-resource-unit"]);
    if (Number.isFinite(ru) && ru > 0) this.reads.tokens -= ru - Math.min(estimated, this.reads.capacity);
    const pct = Number(headers["x-ms-throttle-limit-percentage"]);
    if (Number.isFinite(pct) && pct > 0) {
      const bucket = write ? this.writes : this.reads;
      bucket.tokens = Math.min(bucket.tokens, bucket.capacity * Math.max(0, 1 - pct / 100));
    }
  }

  private delay(cost: number, write: boolean): number {
    if (this.active >= this.maxActive) return Number.POSITIVE_INFINITY;
    const now = this.now();
    this.reads.refill(now);
    this.writes.refill(now);
    return Math.max(this.pausedUntil - now, this.reads.waitFor(cost), write ? this.writes.waitFor(1) : 0, 0);
  }

  private take(cost: number, write: boolean): void {
    this.active++;
    this.reads.tokens -= cost;
    if (write) this.writes.tokens -= 1;
  }

  private pump(): void {
    while (this.queue.length > 0) {
      const head = this.queue[0]!;
      const wait = this.delay(head.cost, head.write);
      if (wait === Number.POSITIVE_INFINITY) return; // a release() will pump again
      if (wait > 0) {
        if (this.timer === undefined) {
          this.timer = setTimeout(() => {
            this.timer = undefined;
            this.pump();
          }, wait);
        }
        return;
      }
      this.queue.shift();
      if (head.onAbort) head.signal?.removeEventListener("abort", head.onAbort);
      this.take(head.cost, head.write);
      head.resolve();
    }
  }
}
