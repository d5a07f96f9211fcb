/**
 * Subscriptions persisted in the store: defined once (by `watch` flags or the library), each with its
 * own read position in the outbox (`subscription:<id>`) and, for webhooks, its own secret and target
 * URL — both kept sealed with the connector key (secret-box.ts, as the token store does), opened only
 * to sign and send; rows and ids hold the URL redacted.
 */
import { createHmac, randomBytes } from "node:crypto";
import { open, seal } from "../auth/secret-box.ts";
import { createError } from "../errors.ts";
import { redactString, redactUrl } from "../log/redact.ts";
import type { Store } from "../store/types.ts";
import { checkWebhookUrl } from "./sinks/webhook-sink.ts";
import type { DeliveryTarget, Subscription, SubscriptionFilter, SubscriptionTarget } from "./types.ts";

export interface SubscriptionInput {
  /** Defaults to one derived from the target: `stdout`, `file:<path>`, `webhook:<url>`. */
  id?: string;
  types: string[];
  filter?: SubscriptionFilter;
  target: DeliveryTarget;
  /** Webhooks: the signing secret; generated (and kept) when absent. */
  secret?: string;
  /** Webhooks: the connector key (`loadConnectorKey`) the secret and URL are sealed with in the store. */
  key?: Buffer;
  emitInitial?: boolean;
  /** Webhooks: accept plain `http://` to a host other than loopback (`--allow-insecure-webhook`). */
  allowInsecureHttp?: boolean;
}

export function consumerName(subscriptionId: string): string {
  return `subscription:${subscriptionId}`;
}

/**
 * Ids are printed and stored in clear, so a webhook's holds its URL redacted; when the URL has a
 * query (whose values are hidden), a keyed hash of the whole URL follows, so URLs that differ only
 * there stay two subscriptions, e.g. `webhook:https://hooks.example.com/in?tenant=[redacted]#3fa9c1d2e4b5a6f7`.
 */
export function defaultSubscriptionId(target: DeliveryTarget, key?: Buffer): string {
  switch (target.kind) {
    case "stdout":
    case "callback":
      return target.kind;
    case "file":
      return `file:${target.path}`;
    case "webhook": {
      const url = new URL(target.url);
      url.hash = ""; // never sent
      if (url.search === "") return legacyWebhookId(url);
      return `webhook:${redactUrl(url)}#${urlTag(requireKey(key), url.href)}`;
    }
  }
}

/** The id earlier versions gave every webhook, query or not (and still give one without a query). */
function legacyWebhookId(url: URL): string {
  return `webhook:${url.protocol}//${url.host}${url.pathname}`;
}

const ID_LABEL = "entra-connector/webhook-id/v1";

/** 64 bits of HMAC-SHA256 under a key derived for this use: unguessable without the connector key. */
function urlTag(key: Buffer, href: string): string {
  const idKey = createHmac("sha256", key).update(ID_LABEL).digest();
  return createHmac("sha256", idKey).update(href).digest("hex").slice(0, 16);
}

function requireKey(key: Buffer | undefined): Buffer {
  if (!key) {
    throw createError("CONFIG_INVALID", {
      field: "key",
      problem: "a webhook subscription needs the connector key (loadConnectorKey) to seal its secret and URL",
    });
  }
  return key;
}

/**
 * Shortest signing secret accepted. A length cannot measure randomness, but it stops placeholders
 * ("x", "test", "changeme") that would let anyone forge events; generated secrets are 64 hex digits.
 */
export const MIN_WEBHOOK_SECRET_LENGTH = 16;

/** Refuses a webhook secret too short to sign with (naming `field`, never the secret). */
export function checkWebhookSecret(secret: string, field = "secret"): void {
  const length = [...secret].length;
  if (length >= MIN_WEBHOOK_SECRET_LENGTH) return;
  throw createError("CONFIG_INVALID", {
    field,
    problem: `the webhook signing secret has ${length} characters, fewer than ${MIN_WEBHOOK_SECRET_LENGTH}: a short one can be guessed and events forged; use a random one (e.g. \`openssl rand -hex 32\`), or leave it unset to have one generated and print it with --show-secret`,
  });
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
  if (input.target.kind === "webhook") {
    checkWebhookUrl(input.target.url, {
      field: "target.url",
      allowInsecureHttp: input.allowInsecureHttp === true,
    });
  }
  if (input.secret !== undefined) checkWebhookSecret(input.secret);
  const id = input.id ?? defaultSubscriptionId(input.target, input.key);
  if (id.trim() === "") {
    throw createError("CONFIG_INVALID", { field: "--name", problem: "a subscription name cannot be empty" });
  }
  const existing = (await store.subscriptions.get(id))?.data as StoredSubscription | undefined;
  const subscription: Subscription = {
    id,
    types: input.types,
    filter: input.filter ?? {},
    target: storedTarget(input.target),
    emitInitial: existing?.emitInitial ?? input.emitInitial === true,
    initialized: existing?.initialized ?? false,
    ...(existing?.failing ? { failing: existing.failing } : {}),
  };
  if (input.target.kind === "webhook") {
    const key = requireKey(input.key);
    subscription.sealedSecret = sealedSecretFor(input, existing, key);
    const rotatedAt =
      subscription.sealedSecret === existing?.sealedSecret
        ? existing.secretRotatedAt
        : new Date().toISOString();
    if (rotatedAt !== undefined) subscription.secretRotatedAt = rotatedAt;
    subscription.sealedUrl = seal(key, Buffer.from(input.target.url, "utf8"), URL_LABEL);
  }
  await store.subscriptions.put(id, { ...subscription });
  return subscription;
}

function storedTarget(target: DeliveryTarget): SubscriptionTarget {
  return target.kind === "webhook" ? { kind: "webhook", redactedUrl: redactUrl(target.url) } : target;
}

/** A row as older versions may have written it: the secret and the webhook URL in plain text. */
type StoredSubscription = Omit<Subscription, "target"> & {
  secret?: string;
  target: SubscriptionTarget | { kind: "webhook"; url: string };
};

const SECRET_LABEL = "entra-connector/webhook-secret/v1";
const URL_LABEL = "entra-connector/webhook-url/v1";

/** The given secret, else the kept one, else a new one: sealed (the kept envelope when unchanged). */
function sealedSecretFor(
  input: SubscriptionInput,
  existing: StoredSubscription | undefined,
  key: Buffer,
): string {
  let kept: string | undefined;
  try {
    kept = existing && existingSecret(existing, key);
  } catch (err) {
    // A new secret replaces one sealed with a lost key; without one, the error says what to do.
    if (input.secret === undefined) throw err;
  }
  const secret = input.secret ?? kept ?? randomBytes(32).toString("hex");
  return secret === kept && existing?.sealedSecret !== undefined
    ? existing.sealedSecret
    : sealSecret(key, secret);
}

function sealSecret(key: Buffer, secret: string): string {
  return seal(key, Buffer.from(secret, "utf8"), SECRET_LABEL);
}

function existingSecret(stored: StoredSubscription, key: Buffer): string | undefined {
  return stored.sealedSecret !== undefined
    ? openSealed(stored.id, stored.sealedSecret, SECRET_LABEL, key)
    : stored.secret;
}

/**
 * Gives a webhook subscription a new signing secret (generated unless given) and returns it in clear,
 * this once: receivers must switch to it. Its position, dead letters and URL stay.
 */
export async function rotateSecret(
  store: Store,
  subscription: Subscription,
  key: Buffer,
  secret: string = randomBytes(32).toString("hex"),
): Promise<string> {
  checkWebhookSecret(secret);
  subscription.sealedSecret = sealSecret(key, secret);
  subscription.secretRotatedAt = new Date().toISOString();
  await store.subscriptions.put(subscription.id, { ...subscription });
  return secret;
}

/**
 * The webhook secret in clear, for signing (or `--show-secret`); never log it.
 *
 * @example webhookSink({ url, secret: openSecret(subscription, key), timeoutMs })
 */
export function openSecret(subscription: Subscription, key: Buffer): string {
  return openSealed(subscription.id, subscription.sealedSecret, SECRET_LABEL, key);
}

/**
 * The webhook's full URL, to send to; never log it (show `subscription.target.redactedUrl`).
 *
 * @example webhookSink({ url: openTargetUrl(subscription, key), secret: openSecret(subscription, key), timeoutMs })
 */
export function openTargetUrl(subscription: Subscription, key: Buffer): string {
  return openSealed(subscription.id, subscription.sealedUrl, URL_LABEL, key);
}

function openSealed(id: string, envelope: string | undefined, label: string, key: Buffer): string {
  if (envelope === undefined) {
    throw createError("CONFIG_INVALID", {
      field: "subscription",
      problem: `${id} has no sealed webhook secret and URL; define it with a webhook target first`,
    });
  }
  try {
    return open(key, envelope, label).toString("utf8");
  } catch (err) {
    throw createError("SUBSCRIPTION_SECRET_UNREADABLE", { subscription: id }, { cause: err });
  }
}

/**
 * Seals what stores written by earlier versions still hold in clear — webhook secrets, and target URLs
 * (whose query may carry a credential) — and moves a webhook subscription whose URL has a query to
 * the id that tells it apart from its siblings (position and dead letters with it). Returns how many
 * rows it rewrote. Idempotent, so every `watch` start runs it.
 */
export async function sealStoredSecrets(store: Store, key: Buffer): Promise<number> {
  let sealed = 0;
  for (const record of await store.subscriptions.list()) {
    const { secret, ...rest } = record.data as unknown as StoredSubscription;
    const target = rest.target;
    const url = target.kind === "webhook" && "url" in target ? target.url : undefined;
    if (typeof secret !== "string" && url === undefined) continue;
    const row: Record<string, unknown> = { ...rest };
    if (typeof secret === "string") row["sealedSecret"] = sealSecret(key, secret);
    let id = record.id;
    if (url !== undefined) {
      row["target"] = storedTarget({ kind: "webhook", url });
      row["sealedUrl"] = seal(key, Buffer.from(url, "utf8"), URL_LABEL);
      // Only ids the connector chose: a name given by the library stays.
      if (record.id === legacyWebhookId(new URL(url)))
        id = defaultSubscriptionId({ kind: "webhook", url }, key);
    }
    row["id"] = id;
    if (url !== undefined) await carryDeadLetters(store, record.id, id, url);
    if (id === record.id) await store.subscriptions.put(id, row);
    else await moveSubscription(store, record.id, id, row);
    sealed++;
  }
  return sealed;
}

/** Earlier versions' dead letters may quote the whole URL (fetch refusing its user info) in their error text. */
async function carryDeadLetters(store: Store, from: string, to: string, url: string): Promise<void> {
  const shown = redactUrl(url);
  const scrub = (text: string) =>
    redactString(text.replaceAll(new URL(url).href, shown).replaceAll(url, shown));
  for (const { at: _at, ...letter } of await store.subscriptions.deadLetters(from)) {
    await store.subscriptions.deadLetter({ ...letter, subscription: to, error: scrub(letter.error) });
  }
}

/** Safe to repeat after a crash: the old row goes last, so the next start moves it again. */
async function moveSubscription(store: Store, from: string, to: string, row: Record<string, unknown>) {
  const position = await store.outbox.position(consumerName(from));
  if (position > 0) await store.outbox.commit(consumerName(to), position);
  await store.subscriptions.put(to, row);
  await store.subscriptions.remove(from);
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
