/**
 * The library face of triggers: `subscribe(options, callback)` and `events(options)` (an async
 * iterator). Both keep a persisted subscription in the store; an event counts as delivered when the
 * callback's promise resolves, or when the iterator is asked for the next one, so a process that
 * stops mid-way gets the unfinished event again (same id) next time.
 */

import { createError } from "../errors.ts";
import type { GraphClient } from "../graph/types.ts";
import type { Store } from "../store/types.ts";
import { runSync } from "../sync/engine.ts";
import { parseKinds, type SyncOptions } from "../sync/options.ts";
import type { DeliveryPolicy } from "./deliver.ts";
import { parseTypes } from "./match.ts";
import { callbackSink } from "./sinks/stream-sink.ts";
import { defineSubscription } from "./subscriptions.ts";
import type { SubscriptionFilter, TriggerEvent } from "./types.ts";
import { runWatch } from "./watch.ts";

export interface SubscribeOptions {
  store: Store;
  /** With a client (and tenant id) the subscription also runs the incremental sync on the interval. */
  client?: GraphClient;
  tenantId?: string;
  /** Default: every kind, app assignments re-read every 10 min (`appAssignmentsEveryMs`). */
  syncOptions?: Partial<SyncOptions>;
  /** Persisted subscription name (default "callback"): its position survives restarts. */
  id?: string;
  /** Type patterns, e.g. ["user.created", "group.*"]; default every type. */
  types?: string[];
  filter?: SubscriptionFilter;
  emitInitial?: boolean;
  /** Poll interval (default 30 s). */
  intervalMs?: number;
  /** How long a callback that keeps throwing is retried before the event is dead-lettered (default 24 h). */
  deadLetterAfterMs?: number;
  signal?: AbortSignal;
}

export interface Subscribed {
  /** Stops polling and delivery; resolves when both have ended. */
  stop(): Promise<void>;
  /** Settles when the subscription ends (stopped, or failed). */
  done: Promise<void>;
}

/** How often a watching sync re-reads every app's assignments (Graph has no delta for them). */
export const DEFAULT_APP_ASSIGNMENTS_EVERY_MS = 600_000;

const DEFAULT_POLICY: DeliveryPolicy = {
  retry: { baseMs: 500, maxMs: 60_000 },
  deadLetterAfterMs: 86_400_000,
};

/**
 * Calls `callback` for each event, in order, one at a time; a rejected callback is retried with backoff.
 * Resolves once delivery has started; rejects with SUBSCRIPTION_LEASED when another watcher (in this
 * or another process) delivers the same subscription id.
 *
 * @example
 *   const sub = await subscribe({ store, client, tenantId, types: ["user.created"] }, async (e) => console.log(e.id));
 *   // … later: await sub.stop();
 */
export async function subscribe(
  options: SubscribeOptions,
  callback: (event: TriggerEvent) => unknown,
): Promise<Subscribed> {
  if (options.client && !options.tenantId) {
    throw createError("CONFIG_INVALID", {
      field: "tenantId",
      problem: "subscribe() with a client also needs the tenant id, to record which tenant each run synced",
    });
  }
  const subscription = await defineSubscription(options.store, {
    ...(options.id ? { id: options.id } : {}),
    types: parseTypes(options.types),
    ...(options.filter ? { filter: options.filter } : {}),
    target: { kind: "callback" },
    emitInitial: options.emitInitial === true,
  });
  const controller = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, controller.signal]) : controller.signal;
  const { client, tenantId } = options;
  let started = () => {};
  const ready = new Promise<void>((r) => {
    started = r;
  });
  const done = runWatch({
    store: options.store,
    ...(client && tenantId
      ? {
          sync: (observer) =>
            runSync({
              client,
              store: options.store,
              tenantId,
              options: {
                kinds: parseKinds(undefined),
                full: false,
                skipAdGroups: false,
                // As `watch`: an idle poll costs one request per delta stream.
                appAssignmentsEveryMs: DEFAULT_APP_ASSIGNMENTS_EVERY_MS,
                ...options.syncOptions,
              },
              observer,
              signal,
              // As `watch`: a sync writing the store delays this poll, never fails it.
              wait: true,
            }),
        }
      : {}),
    intervalMs: options.intervalMs ?? 30_000,
    subscriptions: [{ subscription, sink: callbackSink(callback) }],
    policy: {
      ...DEFAULT_POLICY,
      deadLetterAfterMs: options.deadLetterAfterMs ?? DEFAULT_POLICY.deadLetterAfterMs,
    },
    report: { started: () => started() },
    signal,
  });
  // Resolved once the lease is held and the position set: changes from now on are not missed.
  await Promise.race([ready, done]);
  return {
    async stop() {
      controller.abort();
      await done;
    },
    done,
  };
}

/**
 * The same as an async iterator: `for await (const e of events({ store, client, tenantId })) { … }`.
 * Breaking out of the loop stops the subscription; the event being handled then is delivered again
 * next time.
 */
export async function* events(options: SubscribeOptions): AsyncGenerator<TriggerEvent> {
  type Waiting = { event: TriggerEvent; accept: () => void; refuse: (err: Error) => void };
  const queue: Waiting[] = [];
  let current: Waiting | undefined;
  let notify: (() => void) | undefined;
  let ended = false;
  const sub = await subscribe(
    options,
    (event) =>
      new Promise<void>((accept, refuse) => {
        queue.push({ event, accept, refuse });
        notify?.();
      }),
  );
  const finished = sub.done.finally(() => {
    ended = true;
    notify?.();
  });
  try {
    for (;;) {
      current = queue.shift();
      if (current) {
        yield current.event;
        current.accept();
        current = undefined;
        continue;
      }
      if (ended) break;
      await new Promise<void>((r) => {
        notify = r;
      });
      notify = undefined;
    }
    await finished;
  } finally {
    if (!ended) {
      // Not delivered: the consumer stopped before asking for the next one.
      const stopping = sub.stop();
      for (const w of [current, ...queue]) w?.refuse(new Error("the consumer stopped"));
      await stopping;
    }
  }
}
