/**
 * Webhook subscriptions of a connection over the API. The URL rules are `watch --webhook`'s; the
 * signing secret is shown once (on creation and on rotation), never listed; delivery runs in the
 * service's `deliver` job (src/service/triggers.ts).
 */
import { randomBytes } from "node:crypto";
import { z } from "zod";
import { createError } from "../../errors.ts";
import { redactUrl } from "../../log/redact.ts";
import type { Store } from "../../store/types.ts";
import {
  checkWebhookUrl,
  consumerName,
  defineSubscription,
  parseTypes,
  rotateSecret,
  type Subscription,
} from "../../triggers/index.ts";
import { initializeSubscription } from "../../triggers/subscriptions.ts";
import type { ServiceContext } from "../app.ts";
import { recordApiCall } from "../audit.ts";
import { route } from "../route.ts";
import { createServiceTriggers, testEvent } from "../triggers.ts";
import { ConnectionParams } from "./connections.ts";

const Filter = z
  .object({
    /** Property equality on the event's subject (as `--filter key=value`). */
    where: z.record(z.string(), z.string()).optional(),
    /** Only events about (nested) members of this group, and its own membership changes. */
    memberOf: z.string().min(1).max(128).optional(),
  })
  .strict();

const SubscriptionView = z.object({
  id: z.string(),
  /** Query values shown as `[redacted]`: the whole URL is kept sealed. */
  url: z.string(),
  types: z.array(z.string()),
  filter: Filter,
  secret: z.object({ set: z.boolean(), rotatedAt: z.string().nullable() }),
  /** The last outbox entry it has taken, and how far behind the outbox's head it is. */
  position: z.number(),
  lag: z.number(),
  deadLetters: z.number(),
  /** The event being retried, since when. */
  failing: z.object({ eventId: z.string(), since: z.string() }).nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

const Attempt = z.object({
  eventId: z.string(),
  eventType: z.string(),
  seq: z.number(),
  status: z.enum(["delivered", "retrying", "failed"]),
  httpStatus: z.number().optional(),
  attempt: z.number(),
  error: z.string().optional(),
  at: z.string(),
});

const DeadLetterView = z.object({
  eventId: z.string(),
  seq: z.number(),
  error: z.string(),
  at: z.string(),
  event: z.record(z.string(), z.unknown()),
});

const SubscriptionParams = ConnectionParams.extend({ sid: z.string().min(1).max(512) });
const Page = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), next: z.string().nullable() });

async function view(store: Store, s: Subscription): Promise<z.infer<typeof SubscriptionView>> {
  const record = (await store.subscriptions.get(s.id))!;
  const position = await store.outbox.position(consumerName(s.id));
  return {
    id: s.id,
    url: s.target.kind === "webhook" ? s.target.redactedUrl : "",
    types: s.types,
    filter: s.filter,
    secret: { set: s.sealedSecret !== undefined, rotatedAt: s.secretRotatedAt ?? null },
    position,
    lag: Math.max(0, (await store.outbox.head()) - position),
    deadLetters: (await store.subscriptions.deadLetters(s.id)).length,
    failing: s.failing ?? null,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
  };
}

export function subscriptionRoutes(ctx: ServiceContext) {
  const triggers =
    ctx.triggers ??
    createServiceTriggers({
      connections: ctx.connections,
      jobs: () => ctx.jobs,
      metrics: ctx.metrics,
      logger: ctx.logger,
    });

  async function subscriptionOf(params: { id: string; sid: string }) {
    const connection = ctx.connections.get(params.id);
    const store = await connection.queries();
    const subscription = await triggers.find(store, params.sid);
    if (subscription === undefined) {
      throw createError("SUBSCRIPTION_NOT_FOUND", { subscription: params.sid, connection: connection.id });
    }
    return { connection, store, subscription };
  }

  const Body = z
    .object({
      url: z
        .string()
        .max(2048)
        .superRefine((url, issue) => {
          try {
            checkWebhookUrl(url, { field: "url", allowInsecureHttp: triggers.settings.allowInsecureHttp });
          } catch (err) {
            issue.addIssue({ code: "custom", message: (err as Error).message });
          }
        }),
      types: z
        .array(z.string().max(64))
        .max(64)
        .optional()
        .superRefine((types, issue) => {
          try {
            parseTypes(types);
          } catch (err) {
            issue.addIssue({ code: "custom", message: (err as Error).message.replace("--types: ", "") });
          }
        }),
      filter: Filter.optional(),
    })
    .strict();

  return [
    route({
      method: "GET",
      path: "/api/v1/connections/:id/subscriptions",
      access: "viewer",
      summary:
        "The connection's webhook subscriptions (secrets never shown; URLs with query values redacted)",
      tags: ["triggers"],
      params: ConnectionParams,
      response: Page(SubscriptionView),
      handler: async ({ params }) => {
        const store = await ctx.connections.get(params.id).queries();
        const items = [];
        for (const record of await store.subscriptions.list()) {
          const s = record.data as unknown as Subscription;
          if (s.target.kind === "webhook") items.push(await view(store, s));
        }
        return { items, next: null };
      },
    }),
    route({
      method: "POST",
      path: "/api/v1/connections/:id/subscriptions",
      access: "operator",
      summary:
        "Subscribe a webhook to change events from now on; answers the signing secret this once. The URL must be https (http only to loopback unless the service allows it) without user:password@",
      tags: ["triggers"],
      params: ConnectionParams,
      body: Body,
      status: 201,
      response: z.object({ subscription: SubscriptionView, secret: z.string() }),
      handler: async ({ params, body, token, requestId, request }) => {
        const connection = ctx.connections.get(params.id);
        const store = await connection.queries();
        const key = await connection.connectorKey();
        const secret = randomBytes(32).toString("hex");
        const subscription = await defineSubscription(store, {
          id: `sub-${randomBytes(6).toString("hex")}`,
          types: parseTypes(body.types),
          ...(body.filter ? { filter: body.filter } : {}),
          target: { kind: "webhook", url: body.url },
          secret,
          key,
          allowInsecureHttp: triggers.settings.allowInsecureHttp,
        });
        // Changes from now on: its position is the outbox head as it is created.
        await initializeSubscription(store, subscription);
        await recordApiCall(store, {
          action: "subscription.create",
          target: subscription.id,
          token,
          requestId,
          ip: request.ip,
          input: { url: redactUrl(body.url), types: subscription.types, filter: subscription.filter },
        });
        return { subscription: await view(store, subscription), secret };
      },
    }),
    route({
      method: "GET",
      path: "/api/v1/connections/:id/subscriptions/:sid",
      access: "viewer",
      summary: "One webhook subscription: position, lag, dead letters, the event being retried",
      tags: ["triggers"],
      params: SubscriptionParams,
      response: SubscriptionView,
      handler: async ({ params }) => {
        const { store, subscription } = await subscriptionOf(params);
        return view(store, subscription);
      },
    }),
    route({
      method: "DELETE",
      path: "/api/v1/connections/:id/subscriptions/:sid",
      access: "operator",
      summary: "Remove a webhook subscription with its position, dead letters and delivery history",
      tags: ["triggers"],
      params: SubscriptionParams,
      response: z.object({ id: z.string(), removed: z.boolean() }),
      handler: async ({ params, token, requestId, request }) => {
        const { connection, store, subscription } = await subscriptionOf(params);
        const removed = await triggers.exclusive(connection.id, subscription.id, () =>
          store.subscriptions.remove(subscription.id),
        );
        await recordApiCall(store, {
          action: "subscription.delete",
          target: subscription.id,
          token,
          requestId,
          ip: request.ip,
        });
        return { id: subscription.id, removed };
      },
    }),
    route({
      method: "POST",
      path: "/api/v1/connections/:id/subscriptions/:sid/rotate-secret",
      access: "operator",
      summary:
        "Give the subscription a new signing secret, answered this once; events from now on are signed with it",
      tags: ["triggers"],
      params: SubscriptionParams,
      response: z.object({ secret: z.string() }),
      handler: async ({ params, token, requestId, request }) => {
        const { connection, store, subscription } = await subscriptionOf(params);
        const key = await connection.connectorKey();
        const secret = await triggers.exclusive(connection.id, subscription.id, async () =>
          // Re-read inside: the delivery may have written it (the event being retried) until now.
          rotateSecret(store, (await triggers.find(store, subscription.id)) ?? subscription, key),
        );
        await recordApiCall(store, {
          action: "subscription.rotate-secret",
          target: subscription.id,
          token,
          requestId,
          ip: request.ip,
        });
        return { secret };
      },
    }),
    route({
      method: "GET",
      path: "/api/v1/connections/:id/subscriptions/:sid/deliveries",
      access: "viewer",
      summary:
        "Recent delivery attempts, newest first: delivered, retrying (failed, tried again) or failed (dead-lettered), with the receiver's HTTP status",
      tags: ["triggers"],
      params: SubscriptionParams,
      query: z.object({ limit: z.coerce.number().int().min(1).max(100).default(50) }),
      response: Page(Attempt),
      handler: async ({ params, query }) => {
        const { store, subscription } = await subscriptionOf(params);
        const items = (await store.subscriptions.attempts(subscription.id, query.limit)).map(
          ({ subscription: _s, ...a }) => a,
        );
        return { items, next: null };
      },
    }),
    route({
      method: "GET",
      path: "/api/v1/connections/:id/subscriptions/:sid/dead-letters",
      access: "viewer",
      summary: "Events the subscription gave up delivering, oldest first, kept until replayed",
      tags: ["triggers"],
      params: SubscriptionParams,
      response: Page(DeadLetterView),
      handler: async ({ params }) => {
        const { store, subscription } = await subscriptionOf(params);
        const items = (await store.subscriptions.deadLetters(subscription.id)).map(
          ({ subscription: _s, ...letter }) => letter,
        );
        return { items, next: null };
      },
    }),
    route({
      method: "POST",
      path: "/api/v1/connections/:id/subscriptions/:sid/dead-letters/:eventId/replay",
      access: "operator",
      summary:
        "Send one dead-lettered event again now; removed from the dead letters once the receiver accepts it",
      tags: ["triggers"],
      params: SubscriptionParams.extend({ eventId: z.string().min(1).max(128) }),
      response: Attempt,
      handler: async ({ params, token, requestId, request }) => {
        const { connection, store, subscription } = await subscriptionOf(params);
        const letter = (await store.subscriptions.deadLetters(subscription.id)).find(
          (l) => l.eventId === params.eventId,
        );
        if (letter === undefined) {
          throw createError("DEAD_LETTER_NOT_FOUND", {
            subscription: subscription.id,
            eventId: params.eventId,
          });
        }
        const attempt = await triggers.exclusive(connection.id, subscription.id, async () => {
          const result = await triggers.deliverNow(connection, subscription, letter.event as never);
          if (result.status === "delivered")
            await store.subscriptions.clearDeadLetter(subscription.id, letter.eventId);
          return result;
        });
        await recordApiCall(store, {
          action: "subscription.replay",
          target: subscription.id,
          token,
          requestId,
          ip: request.ip,
          input: { eventId: letter.eventId },
          result: attempt.status === "delivered" ? "succeeded" : "failed",
        });
        const { subscription: _s, ...shown } = attempt;
        return { ...shown, at: new Date().toISOString() };
      },
    }),
    route({
      method: "POST",
      path: "/api/v1/connections/:id/subscriptions/:sid/test",
      access: "operator",
      summary:
        "Send a signed test event (type `subscription.test`) now and answer how the receiver took it; not retried",
      tags: ["triggers"],
      params: SubscriptionParams,
      response: Attempt,
      handler: async ({ params, token, requestId, request }) => {
        const { connection, store, subscription } = await subscriptionOf(params);
        const attempt = await triggers.deliverNow(
          connection,
          subscription,
          testEvent(subscription, connection.config.tenantId),
        );
        await recordApiCall(store, {
          action: "subscription.test",
          target: subscription.id,
          token,
          requestId,
          ip: request.ip,
          input: {},
          result: attempt.status === "delivered" ? "succeeded" : "failed",
        });
        const { subscription: _s, ...shown } = attempt;
        return { ...shown, at: new Date().toISOString() };
      },
    }),
  ];
}
