/** The shapes triggers deliver and subscriptions are made of. */
import type { ResourceKind } from "../store/types.ts";

/** Every event type a subscription can choose (`--types`); see derive.ts for what each comes from. */
export const TRIGGER_TYPES = [
  "user.created",
  "user.updated",
  "user.deleted",
  "user.disabled",
  "user.enabled",
  "user.license.assigned",
  "user.license.removed",
  "group.created",
  "group.updated",
  "group.deleted",
  "group.member.added",
  "group.member.removed",
  "group.owner.added",
  "group.owner.removed",
  "role.assigned",
  "role.removed",
  "app.assigned",
  "app.removed",
] as const;

export type TriggerType = (typeof TRIGGER_TYPES)[number];

/**
 * One delivered event. `id` is derived from the outbox entry and the type, so a redelivery (after a
 * crash, or a replayed dead letter) carries the same id: receivers de-duplicate on it.
 */
export interface TriggerEvent {
  id: string;
  type: TriggerType;
  detectedAt: string;
  tenantId: string;
  /** What the event is about: the user/group/app/role; for licence events the user. */
  resource: { kind: ResourceKind; id: string };
  /** The object as synced (last known for deletions), or the relationship for membership/assignment events. */
  data: Record<string, unknown>;
  /** Updates only: property → old and new value. */
  changes?: Record<string, { old: unknown; new: unknown }>;
  /** Deletions only: `soft` = in deleted items, restorable; `permanent` = gone for good. */
  deletion?: "soft" | "permanent";
  /** The sync run that found the change. */
  runId: string;
  /** Outbox position of the change: events of one subscription arrive in increasing `seq`. */
  seq: number;
}

/** Narrows a subscription beyond its types. All given conditions must hold. */
export interface SubscriptionFilter {
  /** Property equality (string-compared) on the subject: the user or group, or a relationship's principal. */
  where?: Record<string, string>;
  /** Only events about (transitive) members of this group id, and its own membership events. */
  memberOf?: string;
}

export type DeliveryTarget =
  | { kind: "stdout" }
  | { kind: "file"; path: string }
  | { kind: "webhook"; url: string }
  | { kind: "callback" };

/**
 * A target as a subscription stores and shows it: a webhook's URL only redacted (`redactUrl`, no user
 * info, query or fragment values), the full one sealed in `sealedUrl`.
 */
export type SubscriptionTarget =
  | Exclude<DeliveryTarget, { kind: "webhook" }>
  | { kind: "webhook"; redactedUrl: string };

/** A subscription as persisted in the store (`store.subscriptions`). */
export interface Subscription {
  id: string;
  /** Type patterns: exact types or `prefix.*`. */
  types: string[];
  filter: SubscriptionFilter;
  target: SubscriptionTarget;
  /**
   * Webhooks: the full target URL, sealed like the secret (a query string may carry a credential);
   * `openTargetUrl` opens it to send. Never logged.
   */
  sealedUrl?: string;
  /**
   * Webhooks: the HMAC key receivers verify signatures with, sealed (AES-256-GCM envelope, see
   * `openSecret`) so the store never holds it in clear. Never logged.
   */
  sealedSecret?: string;
  /** Webhooks: when the signing secret was set (made, given or rotated). */
  secretRotatedAt?: string;
  /**
   * Deliver what the store already holds (from the start of the outbox) and what each first load
   * finds, instead of changes from now.
   */
  emitInitial: boolean;
  /** Set once the subscription has its read position (when a watcher first starts it). */
  initialized: boolean;
  /**
   * The event being retried and since when, so that a restart (or `watch --once` from cron) does not
   * restart the dead-letter clock.
   */
  failing?: { eventId: string; since: string };
}
