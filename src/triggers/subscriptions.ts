/**
 * Subscriptions persisted in the store: defined once (by `watch` flags or the library), each with its
 * own read position in the outbox (`subscription:<id>`) and, for webhooks, its own secret.
 */
import { randomBytes } from "node:crypto";
import { createError } from "../errors.ts";
import type { Store } from "../store/types.ts";
import type { DeliveryTarget, Subscription, SubscriptionFilter } from "./types.ts";

export interface SubscriptionInput {
  /** Defaults to one derived from the target: `stdout`, `file:<path>`, `webhook:<url>`. */
  id?: string;
  types: string[];
  filter?: SubscriptionFilter;
  target: DeliveryTarget;
  /** Webhooks: the signing secret; generated (and kept) when absent. */
  secret?: string;
  emitInitial?: boolean;
}

export function consumerName(subscriptionId: string): string {
  return `subscription:${subscriptionId}`;
}

export function defaultSubscriptionId(target: DeliveryTarget): string {
  switch (target.kind) {
    case "stdout":
    case "callback":
      return target.kind;
    case "file":
      return `file:${target.path}`;
    case "webhook": {
      // Not the whole URL: a query string or user info may carry a credential, and ids are printed.
      const url = new URL(target.url);
      return `webhook:${url.protocol}//${url.host}${url.pathname}`;
    }
  }
}

/**
 * Creates the subscription, or updates the one with the same id (types, filter and target follow the
 * latest definition; its position, initial-state choice and secret, unless a new one is given, stay).
 *
 * @example await defineSubscription(store, { types: ["group.member.*"], target: { kind: "webhook", url } })
 */
export async function defineSubscription(store: Store, input: SubscriptionInput): Promise<Subscription> {
  const id = input.id ?? defaultSubscriptionId(input.target);
  if (id.trim() === "") {
    throw createError("CONFIG_INVALID", { field: "--name", problem: "a subscription name cannot be empty" });
  }
  const existing = (await store.subscriptions.get(id))?.data as Subscription | undefined;
  const subscription: Subscription = {
    id,
    types: input.types,
    filter: input.filter ?? {},
    target: input.target,
    emitInitial: existing?.emitInitial ?? input.emitInitial === true,
    initialized: existing?.initialized ?? false,
    ...(existing?.failing ? { failing: existing.failing } : {}),
  };
  if (input.target.kind === "webhook") {
    subscription.secret = input.secret ?? existing?.secret ?? randomBytes(32).toString("hex");
  }
  await store.subscriptions.put(id, { ...subscription });
  return subscription;
}

export async function loadSubscription(store: Store, id: string): Promise<Subscription | undefined> {
  return (await store.subscriptions.get(id))?.data as Subscription | undefined;
}

/** Whether the store holds a completed sync: the baseline that new subscriptions start after. */
export async function hasBaseline(store: Store): Promise<boolean> {
  return (await store.runs.list({ limit: 1000 })).some((r) => r.status === "succeeded");
}

/**
 * Gives a new subscription its read position once a baseline exists: the outbox head (changes from
 * now on), or the start of the outbox with `emitInitial`. Returns false while there is no baseline.
 */
export async function initializeSubscription(store: Store, subscription: Subscription): Promise<boolean> {
  if (subscription.initialized) return true;
  if (!(await hasBaseline(store))) return false;
  if (!subscription.emitInitial) {
    await store.outbox.commit(consumerName(subscription.id), await store.outbox.head());
  }
  subscription.initialized = true;
  await store.subscriptions.put(subscription.id, { ...subscription });
  return true;
}
