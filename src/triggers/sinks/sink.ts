import type { TriggerEvent } from "../types.ts";

/**
 * Where a subscription's events go. `deliver` resolves only once the event is durably accepted (the
 * receiver's 2xx, an fsync, a written line); a throw means "not delivered" and the caller retries.
 */
export interface Sink {
  /**
   * Called once before delivering, with the subscription's committed outbox position; returns ids of
   * events the target already holds beyond it (written just before a crash), which are then skipped.
   */
  open(committed: number): Promise<Set<string>>;
  deliver(event: TriggerEvent): Promise<void>;
  close(): Promise<void>;
}

/** A delivery attempt the target refused or did not answer; the message never holds secrets. */
export class DeliveryError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "DeliveryError";
  }
}

export function eventLine(event: TriggerEvent): string {
  return `${JSON.stringify(event)}\n`;
}
