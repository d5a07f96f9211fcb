/**
 * Subscriptions persisted in the store: defined once (by `watch` flags or the library), each with its
 * own read position in the outbox (`subscription:<id>`) and, for webhooks, its own secret — kept
 * sealed with the connector key (secret-box.ts, as the token store does), opened only to sign.
 */
import { randomBytes } from "node:crypto";
import { open, seal } from "../auth/secret-box.ts";
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
  /** Webhooks: the connector key (`loadConnectorKey`) the secret is sealed with in the store. */
  key?: Buffer;
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
 * @example
 *   const key = await loadConnectorKey({ stateDir, connectorKey: process.env.ENTRA_CONNECTOR_KEY });
 *   await defineSubscription(store, { types: ["group.member.*"], target: { kind: "webhook", url }, key });
 */
export async function defineSubscription(store: Store, input: SubscriptionInput): Promise<Subscription> {
  const id = input.id ?? defaultSubscriptionId(input.target);
  if (id.trim() === "") {
    throw createError("CONFIG_INVALID", { field: "--name", problem: "a subscription name cannot be empty" });
  }
  const existing = (await store.subscriptions.get(id))?.data as StoredSubscription | undefined;
  const subscription: Subscription = {
    id,
    types: input.types,
    filter: input.filter ?? {},
    target: input.target,
    emitInitial: existing?.emitInitial ?? input.emitInitial === true,
    initialized: existing?.initialized ?? false,
    ...(existing?.failing ? { failing: existing.failing } : {}),
  };
  if (input.target.kind === "webhook") subscription.sealedSecret = sealedSecretFor(input, existing);
  await store.subscriptions.put(id, { ...subscription });
  return subscription;
}

/** A row as older versions may have written it: the secret in plain text. */
type StoredSubscription = Subscription & { secret?: string };

const SECRET_LABEL = "entra-connector/webhook-secret/v1";

/** The given secret, else the kept one, else a new one: sealed (the kept envelope when unchanged). */
function sealedSecretFor(input: SubscriptionInput, existing: StoredSubscription | undefined): string {
  if (!input.key) {
    throw createError("CONFIG_INVALID", {
      field: "key",
      problem: "a webhook subscription needs the connector key (loadConnectorKey) to seal its secret",
    });
  }
  let kept: string | undefined;
  try {
    kept = existing && existingSecret(existing, input.key);
  } catch (err) {
    // A new secret replaces one sealed with a lost key; without one, the error says what to do.
    if (input.secret === undefined) throw err;
  }
  const secret = input.secret ?? kept ?? randomBytes(32).toString("hex");
  return secret === kept && existing?.sealedSecret !== undefined
    ? existing.sealedSecret
    : sealSecret(input.key, secret);
}

function sealSecret(key: Buffer, secret: string): string {
  return seal(key, Buffer.from(secret, "utf8"), SECRET_LABEL);
}

function existingSecret(stored: StoredSubscription, key: Buffer): string | undefined {
  return stored.sealedSecret !== undefined ? openSecret(stored, key) : stored.secret;
}

/**
 * The webhook secret in clear, for signing (or `--show-secret`); never log it.
 *
 * @example webhookSink({ url, secret: openSecret(subscription, key), timeoutMs })
 */
export function openSecret(subscription: Subscription, key: Buffer): string {
  if (subscription.sealedSecret === undefined) {
    throw createError("CONFIG_INVALID", {
      field: "subscription",
      problem: `${subscription.id} has no webhook secret; define it with a webhook target first`,
    });
  }
  try {
    return open(key, subscription.sealedSecret, SECRET_LABEL).toString("utf8");
  } catch (err) {
    throw createError("SUBSCRIPTION_SECRET_UNREADABLE", { subscription: subscription.id }, { cause: err });
  }
}

/**
 * Seals the plain-text secrets that stores written before secrets were sealed still hold; returns how
 * many rows it rewrote. Idempotent, so every `watch` start runs it.
 */
export async function sealStoredSecrets(store: Store, key: Buffer): Promise<number> {
  let sealed = 0;
  for (const record of await store.subscriptions.list()) {
    const { secret, ...rest } = record.data as unknown as StoredSubscription;
    if (typeof secret !== "string") continue;
    await store.subscriptions.put(record.id, { ...rest, sealedSecret: sealSecret(key, secret) });
    sealed++;
  }
  return sealed;
}

export async function loadSubscription(store: Store, id: string): Promise<Subscription | undefined> {
  return (await store.subscriptions.get(id))?.data as Subscription | undefined;
}

/**
 * Gives a new subscription its read position: the outbox head (changes from now on), or the start of
 * the outbox with `emitInitial`. It need not wait for a first sync: what a first load finds is told
 * apart per scope when delivered (baselines.ts).
 */
export async function initializeSubscription(store: Store, subscription: Subscription): Promise<void> {
  if (subscription.initialized) return;
  if (!subscription.emitInitial) {
    await store.outbox.commit(consumerName(subscription.id), await store.outbox.head());
  }
  subscription.initialized = true;
  await store.subscriptions.put(subscription.id, { ...subscription });
}
