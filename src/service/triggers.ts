/**
 * Triggers inside the service: each connection's webhook subscriptions are delivered by a `deliver`
 * job (one per connection at a time) with the library's delivery (src/triggers: signing, retries,
 * dead letters, leases). A sync that ends, a poll, or a change to a subscription wakes the running job
 * or queues one; the job ends once every subscription it could take has caught up.
 */
import { randomUUID } from "node:crypto";
import { isConnectorError } from "../errors.ts";
import type { Logger } from "../log/logger.ts";
import type { Store } from "../store/types.ts";
import {
  type DeliveryPolicy,
  holdLeases,
  openSecret,
  openTargetUrl,
  type Sink,
  type Subscription,
  SubscriptionDelivery,
  type TriggerEvent,
  webhookSink,
} from "../triggers/index.ts";
import { consumerName, initializeSubscription } from "../triggers/subscriptions.ts";
import type { ConnectionRegistry, ServiceConnection } from "./connections.ts";
import type { JobHandler, Jobs } from "./jobs.ts";
import type { ServiceMetrics } from "./metrics.ts";

export interface TriggerSettings {
  policy: DeliveryPolicy;
  /** Time a receiver has to answer. */
  webhookTimeoutMs: number;
  /** Plain http:// to a host other than loopback (as `watch --allow-insecure-webhook`). */
  allowInsecureHttp: boolean;
  /** How often every connection's outbox is looked at besides after each sync. */
  pollMs: number;
}

/** As `watch`'s defaults. */
export const DEFAULT_TRIGGER_SETTINGS: TriggerSettings = {
  policy: { retry: { baseMs: 1000, maxMs: 300_000 }, deadLetterAfterMs: 86_400_000 },
  webhookTimeoutMs: 10_000,
  allowInsecureHttp: false,
  pollMs: 30_000,
};

export const DELIVER_JOB = "deliver";

export interface ServiceTriggers {
  readonly settings: TriggerSettings;
  /** The `deliver` job's handler. */
  readonly deliverJob: JobHandler;
  /** Wakes the connection's running deliver job, or queues one. */
  wake(connectionId: string): Promise<void>;
  /**
   * Runs `change` while the subscription is not being delivered (its delivery stopped at the next
   * event and waited for), then wakes delivery: a change never races the delivery's own writes.
   */
  exclusive<T>(connectionId: string, subscriptionId: string, change: () => Promise<T>): Promise<T>;
  /** The webhook subscription of a connection, or undefined. */
  find(store: Store, subscriptionId: string): Promise<Subscription | undefined>;
  /** One signed attempt now, recorded, not retried. */
  deliverNow(
    connection: ServiceConnection,
    subscription: Subscription,
    event: TriggerEvent,
  ): ReturnType<SubscriptionDelivery["deliverNow"]>;
  /** Wakes every connection each `pollMs`; returns the stop function. */
  startPolling(): () => void;
}

interface Worker {
  controller: AbortController;
  done: Promise<void>;
}

interface Live {
  wake?: () => void;
  workers: Map<string, Worker>;
  held: Set<string>;
}

export function createServiceTriggers(deps: {
  connections: ConnectionRegistry;
  /** Late-bound: the job runner is made with this module's handler. */
  jobs: () => Jobs;
  metrics?: ServiceMetrics;
  logger: Logger;
  settings?: Partial<TriggerSettings>;
}): ServiceTriggers {
  const settings = { ...DEFAULT_TRIGGER_SETTINGS, ...deps.settings };
  const lives = new Map<string, Live>();
  const liveOf = (id: string) => {
    let live = lives.get(id);
    if (live === undefined) {
      live = { workers: new Map(), held: new Set() };
      lives.set(id, live);
    }
    return live;
  };

  async function sinkFor(connection: ServiceConnection, subscription: Subscription): Promise<Sink> {
    const key = await connection.connectorKey();
    return webhookSink({
      url: openTargetUrl(subscription, key),
      secret: openSecret(subscription, key),
      timeoutMs: settings.webhookTimeoutMs,
      allowInsecureHttp: settings.allowInsecureHttp,
    });
  }

  function delivery(connection: ServiceConnection, store: Store, subscription: Subscription, sink: Sink) {
    return new SubscriptionDelivery({
      store,
      subscription,
      sink,
      policy: settings.policy,
      report: {
        problem: (id, message) => deps.logger.warn({ connection: connection.id, subscription: id }, message),
        attempt: (a) => deps.metrics?.deliveryAttempted(connection.id, a.status),
      },
    });
  }

  async function webhookSubscriptions(store: Store): Promise<Subscription[]> {
    return (await store.subscriptions.list())
      .map((r) => r.data as unknown as Subscription)
      .filter((s) => s.target.kind === "webhook");
  }

  async function measure(connectionId: string, store: Store): Promise<void> {
    if (deps.metrics === undefined) return;
    const head = await store.outbox.head();
    let lag = 0;
    let letters = 0;
    for (const s of await webhookSubscriptions(store)) {
      lag = Math.max(lag, head - (await store.outbox.position(consumerName(s.id))));
      letters += (await store.subscriptions.deadLetters(s.id)).length;
    }
    deps.metrics.triggerBacklog(connectionId, { outboxLag: lag, deadLetters: letters });
  }

  const deliverJob: JobHandler = async ({ job, signal }) => {
    const connection = deps.connections.get(job.connectionId);
    const store = await connection.queries();
    const live = liveOf(connection.id);
    let pending = true;
    let generation = 0;
    let notify: (() => void) | undefined;
    let delivered = 0;
    const failures: unknown[] = [];
    live.wake = () => {
      pending = true;
      notify?.();
    };

    /** Delivers one subscription until it has caught up with every wake so far. */
    async function work(subscription: Subscription, controller: AbortController): Promise<void> {
      let leases: Awaited<ReturnType<typeof holdLeases>>;
      try {
        leases = await holdLeases(store, [subscription.id]);
      } catch (err) {
        // A `watch` delivers it: it keeps it.
        if (isConnectorError(err) && err.code === "SUBSCRIPTION_LEASED") return;
        throw err;
      }
      void leases.lost.then(() => controller.abort());
      const sink = await sinkFor(connection, subscription).catch(async (err: unknown) => {
        await leases.release();
        throw err;
      });
      const d = delivery(connection, store, subscription, sink);
      try {
        await initializeSubscription(store, subscription);
        for (;;) {
          const seen = generation;
          await d.drain(controller.signal);
          await measure(connection.id, store);
          if (generation === seen) return;
        }
      } finally {
        delivered += d.delivered;
        await sink.close();
        await leases.release();
      }
    }

    async function startWorkers(): Promise<void> {
      for (const subscription of await webhookSubscriptions(store)) {
        if (live.workers.has(subscription.id) || live.held.has(subscription.id)) continue;
        const controller = new AbortController();
        const linked = AbortSignal.any([signal, controller.signal]);
        const stop = new AbortController();
        linked.addEventListener("abort", () => stop.abort(linked.reason), { once: true });
        const done = work(subscription, stop)
          .catch((err: unknown) => {
            if (stop.signal.aborted) return;
            failures.push(err);
            deps.logger.error(
              { connection: connection.id, subscription: subscription.id, err },
              "delivery failed",
            );
          })
          .finally(() => live.workers.delete(subscription.id));
        live.workers.set(subscription.id, { controller, done });
      }
    }

    try {
      while (!signal.aborted) {
        if (pending) {
          pending = false;
          generation++;
          await startWorkers();
        }
        if (live.workers.size === 0) {
          if (pending) continue;
          break;
        }
        await new Promise<void>((resolve) => {
          notify = resolve;
          for (const w of live.workers.values()) void w.done.then(resolve);
        });
        notify = undefined;
      }
      await Promise.all([...live.workers.values()].map((w) => w.done));
    } finally {
      live.wake = undefined;
    }
    await measure(connection.id, store);
    if (failures.length > 0) throw failures[0];
    return { status: signal.aborted ? "cancelled" : "succeeded", delivered };
  };

  async function wake(connectionId: string): Promise<void> {
    const live = lives.get(connectionId);
    if (live?.wake) return live.wake();
    await deps.jobs().submit({ kind: DELIVER_JOB, connectionId, singleton: true });
  }

  return {
    settings,
    deliverJob,
    wake,
    async exclusive(connectionId, subscriptionId, change) {
      const live = liveOf(connectionId);
      live.held.add(subscriptionId);
      try {
        const worker = live.workers.get(subscriptionId);
        if (worker) {
          worker.controller.abort(new DOMException("subscription changing", "AbortError"));
          await worker.done;
        }
        return await change();
      } finally {
        live.held.delete(subscriptionId);
        await wake(connectionId);
      }
    },
    async find(store, subscriptionId) {
      const data = (await store.subscriptions.get(subscriptionId))?.data as Subscription | undefined;
      return data?.target.kind === "webhook" ? data : undefined;
    },
    async deliverNow(connection, subscription, event) {
      const sink = await sinkFor(connection, subscription);
      try {
        return await delivery(connection, await connection.queries(), subscription, sink).deliverNow(event);
      } finally {
        await sink.close();
      }
    },
    startPolling() {
      const timer = setInterval(() => {
        for (const c of deps.connections.list()) {
          wake(c.id).catch((err: unknown) =>
            deps.logger.error({ connection: c.id, err }, "delivery could not be queued"),
          );
        }
      }, settings.pollMs);
      timer.unref();
      return () => clearInterval(timer);
    },
  };
}

/** The event `POST …/test` sends: signed like any other, of a type no change has. */
export function testEvent(subscription: Subscription, tenantId: string): TriggerEvent {
  return {
    id: randomUUID(),
    type: "subscription.test" as TriggerEvent["type"],
    detectedAt: new Date().toISOString(),
    tenantId,
    resource: { kind: "subscription" as TriggerEvent["resource"]["kind"], id: subscription.id },
    data: { subscription: subscription.id, message: "a test event from entra-connector" },
    runId: "",
    seq: 0,
  };
}
