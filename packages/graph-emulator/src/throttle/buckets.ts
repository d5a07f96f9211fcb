/**
 * A token bucket refilled continuously: `capacity` units per `windowMs`. Graph documents its budgets as
 * "N resource units per window"; a continuous refill is the kindest faithful reading (a client spending
 * evenly at the documented rate is never throttled, a burst above it is).
 */
export class TokenBucket {
  readonly capacity: number;
  readonly windowMs: number;
  #tokens: number;
  #updatedAt: number;

  constructor(capacity: number, windowMs: number, now: number) {
    this.capacity = capacity;
    this.windowMs = windowMs;
    this.#tokens = capacity;
    this.#updatedAt = now;
  }

  #refill(now: number): void {
    const elapsed = Math.max(0, now - this.#updatedAt);
    this.#tokens = Math.min(this.capacity, this.#tokens + (elapsed * this.capacity) / this.windowMs);
    this.#updatedAt = now;
  }

  /** Seconds until `cost` units are available (0 when they are now). */
  waitFor(cost: number, now: number): number {
    this.#refill(now);
    if (this.#tokens >= cost) return 0;
    return ((cost - this.#tokens) * this.windowMs) / this.capacity / 1000;
  }

  take(cost: number): void {
    this.#tokens -= cost;
  }

  /** Share of the budget in use, 0..1. */
  used(now: number): number {
    this.#refill(now);
    return 1 - this.#tokens / this.capacity;
  }
}
