import { type ErrorSpec, EXIT } from "../spec.ts";

/** Change notifications: subscription secrets and watcher leases (src/triggers). */
export const TRIGGER_ERRORS = {
  SUBSCRIPTION_SECRET_UNREADABLE: {
    message:
      "The webhook secret or URL of subscription {subscription} could not be decrypted (wrong key or corrupted row).",
    fix: "Use the ENTRA_CONNECTOR_KEY (or .entra-connector/key file) the store was written with, or give the subscription a new secret with ENTRA_WEBHOOK_SECRET (receivers must then use it).",
    status: 500,
    retryable: false,
    exit: EXIT.usage,
  },
  SUBSCRIPTION_LEASED: {
    message:
      "Subscription {subscription} is being delivered by another watcher: {holder}, lease until {until}.",
    fix: "Stop that watcher (its lease is released on exit, or lapses {ttl} after it stops renewing; a killed watcher on this host is taken over at once), or run with --wait to take over when it ends.",
    status: 409,
    retryable: true,
    exit: EXIT.usage,
  },
  SUBSCRIPTION_LEASE_LOST: {
    message:
      "Subscription {subscription} was taken over by {holder} while this watcher delivered it; this watcher stopped.",
    fix: "Run one watcher per subscription (its lease lapsed: was this process paused or the store unreachable for longer than the lease?).",
    status: 409,
    retryable: false,
    exit: EXIT.usage,
  },
  SUBSCRIPTION_NOT_FOUND: {
    message: "There is no webhook subscription {subscription} on connection {connection}.",
    fix: "GET /api/v1/connections/{connection}/subscriptions lists them.",
    status: 404,
    retryable: false,
    exit: EXIT.usage,
  },
  DEAD_LETTER_NOT_FOUND: {
    message: "Subscription {subscription} has no dead letter for event {eventId}.",
    fix: "GET …/subscriptions/{subscription}/dead-letters lists the events it holds; a replayed one is removed once delivered.",
    status: 404,
    retryable: false,
    exit: EXIT.usage,
  },
} as const satisfies Record<string, ErrorSpec>;
