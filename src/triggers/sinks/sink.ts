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
  /** Webhooks answer with the receiver's status. */
  deliver(event: TriggerEvent): Promise<DeliveryOutcome | undefined>;
  close(): Promise<void>;
}

/** What an accepted delivery can tell about itself. */
export interface DeliveryOutcome {
  httpStatus?: number;
}

/** A delivery attempt the target refused or did not answer; the message never holds secrets. */
export class DeliveryError extends Error {
  /** The receiver's answer when it gave one (a non-2xx status). */
  readonly httpStatus: number | undefined;

  constructor(message: string, options?: { cause?: unknown; httpStatus?: number }) {
    super(message, options);
    this.name = "DeliveryError";
    this.httpStatus = options?.httpStatus;
  }
}

export function eventLine(event: TriggerEvent): string {
  return `${JSON.stringify(event)}\n`;
}
