/** Triggers: change events turned into typed events, delivered at least once, in order, per subscription. */
export { events, type Subscribed, type SubscribeOptions, subscribe } from "./api.ts";
export { type DeliveryPolicy, SubscriptionDelivery } from "./deliver.ts";
export { deriveEvents, eventId } from "./derive.ts";
export {
  DEFAULT_LEASE_TTL_MS,
  type HeldLeases,
  holdLeases,
  type LeaseOptions,
  leaseOwner,
} from "./lease.ts";
export { parseFilter, parseTypes } from "./match.ts";
export { EVENT_ID_HEADER, SIGNATURE_HEADER, sign, TIMESTAMP_HEADER, verifySignature } from "./signing.ts";
export { fileSink } from "./sinks/file-sink.ts";
export { DeliveryError, type Sink } from "./sinks/sink.ts";
export { callbackSink, streamSink } from "./sinks/stream-sink.ts";
export { checkWebhookUrl, type WebhookUrlRules, webhookSink } from "./sinks/webhook-sink.ts";
export {
  checkWebhookSecret,
  consumerName,
  defineSubscription,
  loadSubscription,
  MIN_WEBHOOK_SECRET_LENGTH,
  openSecret,
  openTargetUrl,
  rotateSecret,
  type SubscriptionInput,
  sealStoredSecrets,
} from "./subscriptions.ts";
export type { RetryPolicy } from "./timing.ts";
export * from "./types.ts";
export { runWatch, type WatchInput } from "./watch.ts";
