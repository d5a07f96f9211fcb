/**
 * The watch loop: an incremental sync on an interval, and one delivery loop per subscription that
 * wakes whenever a page is committed. Deliveries never block the sync (a receiver that is down only
 * delays its own subscription) and start only from committed pages: the outbox is the hand-over.
 */

import { setTimeout as sleep } from "node:timers/promises";
import { checkDuration } from "../config/duration.ts";
import type { Store } from "../store/types.ts";
import type { SyncObserver } from "../sync/context.ts";
import { recordBaselines } from "./baselines.ts";
import { type DeliveryPolicy, type DeliveryReport, SubscriptionDelivery } from "./deliver.ts";
import { type HeldLeases, holdLeases, type LeaseOptions } from "./lease.ts";
import type { Sink } from "./sinks/sink.ts";
import { initializeSubscription } from "./subscriptions.ts";
import type { Subscription } from "./types.ts";

export interface WatchInput {
  store: Store;
  /** One sync run; omit to only deliver what another process syncs into the store. */
  sync?: (observer: SyncObserver) => Promise<unknown>;
  intervalMs: number;
  subscriptions: { subscription: Subscription; sink: Sink }[];
  policy: DeliveryPolicy;
  report?: DeliveryReport & {
    /** A sync run failed; the loop carries on at the next interval. */
    syncFailed?(error: unknown): void;
    /** Every subscription's lease is held (by `owner`) and has its position. */
    started?(owner: string): void;
  };
  /** One sync, deliver everything, return (for cron and tests). */
  once?: boolean;
  /** The subscriptions' leases (one watcher per subscription): owner, time to live, wait or fail. */
  lease?: LeaseOptions;
  signal?: AbortSignal;
}

/**
 * Runs until `signal` aborts (or after one round with `once`); rejects only on a bug, a store failure
 * (STORE_REPLACED when the store's file was deleted or replaced, checked each round), or a lease: SUBSCRIPTION_LEASED when another watcher delivers one of the subscriptions (before
 * anything runs), SUBSCRIPTION_LEASE_LOST when another took one over meanwhile.
 *
 * @example
 *   const subscription = await defineSubscription(store, { types: ["user.*"], target: { kind: "file", path } });
 *   await runWatch({ store, sync, intervalMs: 30_000, subscriptions: [{ subscription, sink: fileSink(path) }],
 *     policy: { retry: { baseMs: 1000, maxMs: 300_000 }, deadLetterAfterMs: 86_400_000 }, signal });
 */
export async function runWatch(input: WatchInput): Promise<void> {
  // A library poll of a local outbox may be quick; only a timer Node cannot keep is refused.
  checkDuration(input.intervalMs, "intervalMs", { minMs: 1 });
  let leases: HeldLeases;
  try {
    leases = await holdLeases(
      input.store,
      input.subscriptions.map((s) => s.subscription.id),
      { ...input.lease, ...(input.signal ? { signal: input.signal } : {}) },
    );
  } catch (err) {
    // The sinks are ours to close however the watch ends.
    for (const s of input.subscriptions) await s.sink.close();
    throw err;
  }
  const stop = new AbortController();
  const signal = input.signal ? AbortSignal.any([input.signal, stop.signal]) : stop.signal;
  const loops: Promise<void>[] = [];
  const wakers = new Set<() => void>();
  const wake = () => {
    for (const w of wakers) w();
  };
  const deliveries: SubscriptionDelivery[] = [];
  let failure: unknown;
  void leases.lost.then((err) => {
    failure ??= err;
    stop.abort();
  });
  const start = async () => {
    for (const { subscription, sink } of input.subscriptions) {
      await initializeSubscription(input.store, subscription);
      const delivery = new SubscriptionDelivery({
        store: input.store,
        subscription,
        sink,
        policy: input.policy,
        ...(input.report ? { report: input.report } : {}),
      });
      deliveries.push(delivery);
      if (input.once) continue;
      loops.push(
        deliveryLoop(delivery, signal, wakers).catch((err: unknown) => {
          // A broken store (not a receiver: those are retried) ends the whole watch.
          failure ??= err;
          stop.abort();
        }),
      );
    }
  };
  try {
    // Before any sync: loads a killed watcher completed get their baselines before a delta follows.
    await recordBaselines(input.store);
    await start();
    input.report?.started?.(leases.owner);
    for (;;) {
      // A store deleted or replaced meanwhile: another process may now write a new one at the same
      // path, and delivering from this one alongside it would repeat events with other ids.
      await input.store.verifyFile();
      if (input.sync) {
        try {
          await input.sync({
            page: (_stream, page) => {
              if (page.changes > 0) wake();
            },
          });
        } catch (err) {
          if (signal.aborted) break;
          input.report?.syncFailed?.(err);
        }
      }
      // Between a load and the next sync of what it loaded: the one moment its baseline is exact.
      // Without a sync of our own, another process fills the outbox: look at it every interval.
      await recordBaselines(input.store);
      wake();
      if (input.once) {
        for (const d of deliveries) await d.drain(signal);
        break;
      }
      try {
        await sleep(input.intervalMs, undefined, { signal });
      } catch {
        break;
      }
    }
  } catch (err) {
    failure = err;
  } finally {
    stop.abort();
    wake();
    await Promise.all(loops);
    for (const s of input.subscriptions) await s.sink.close();
    await leases.release();
  }
  if (failure !== undefined && !isAbort(failure, signal)) throw failure;
}

async function deliveryLoop(
  delivery: SubscriptionDelivery,
  signal: AbortSignal,
  wakers: Set<() => void>,
): Promise<void> {
  let woken = true;
  let resolveWait: (() => void) | undefined;
  const waker = () => {
    woken = true;
    resolveWait?.();
  };
  wakers.add(waker);
  try {
    while (!signal.aborted) {
      if (!woken)
        await new Promise<void>((r) => {
          resolveWait = r;
        });
      woken = false;
      resolveWait = undefined;
      if (signal.aborted) break;
      try {
        await delivery.drain(signal);
      } catch (err) {
        if (isAbort(err, signal)) break;
        throw err;
      }
    }
  } finally {
    wakers.delete(waker);
  }
}

function isAbort(err: unknown, signal: AbortSignal): boolean {
  return signal.aborted && (err === signal.reason || (err as Error)?.name === "AbortError");
}
