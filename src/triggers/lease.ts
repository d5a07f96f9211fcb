/**
 * One watcher per subscription: delivering takes a lease (a store row naming the owner, with an
 * expiry) and renews it while running, so a second `watch` on the same subscription cannot deliver
 * the same events alongside the first. The holder is named so the user knows what to stop.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { type ConnectorError, createError } from "../errors.ts";
import { describeOwner, leaseOwner, ownerIsDeadHere } from "../store/lease-owner.ts";
import type { Store, SubscriptionLease } from "../store/types.ts";

export { describeOwner, leaseOwner, ownerIsDeadHere };

export interface LeaseOptions {
  /** Unique per watcher; default `<pid>@<host>#<random>`. */
  owner?: string;
  /** How long a lease lasts without renewal (renewed every third of it). Default 30 s. */
  ttlMs?: number;
  /** Wait for a held lease to end instead of failing with SUBSCRIPTION_LEASED. */
  wait?: boolean;
  /** Told once per subscription when `wait` starts waiting, with the holder described. */
  waiting?(subscription: string, holder: string): void;
}

export const DEFAULT_LEASE_TTL_MS = 30_000;

/** Leases held on a set of subscriptions, renewed until released. */
export interface HeldLeases {
  readonly owner: string;
  /** Settles with SUBSCRIPTION_LEASE_LOST when a renewal finds another holder (or with a store failure). */
  readonly lost: Promise<Error>;
  release(): Promise<void>;
}

/**
 * Takes the lease of every subscription (all or none), then renews them every ttl/3 until released.
 *
 * @example
 *   const leases = await holdLeases(store, ["file:/var/events.jsonl"], { wait: false });
 *   try { … deliver … } finally { await leases.release(); }
 */
export async function holdLeases(
  store: Store,
  subscriptions: readonly string[],
  options: LeaseOptions & { signal?: AbortSignal } = {},
): Promise<HeldLeases> {
  const owner = options.owner ?? leaseOwner();
  const ttlMs = options.ttlMs ?? DEFAULT_LEASE_TTL_MS;
  const taken: string[] = [];
  const releaseAll = async () => {
    for (const id of taken) await store.subscriptions.releaseLease(id, owner);
  };
  try {
    for (const id of subscriptions) {
      await acquire(store, id, owner, ttlMs, options);
      taken.push(id);
    }
  } catch (err) {
    await releaseAll();
    throw err;
  }
  let reportLost: (err: Error) => void = () => {};
  const lost = new Promise<Error>((r) => {
    reportLost = r;
  });
  let renewing: Promise<void> = Promise.resolve();
  const renew = async () => {
    for (const id of taken) {
      const lease = await store.subscriptions.lease({ subscription: id, owner, ttlMs });
      if (lease.owner !== owner) {
        reportLost(
          createError("SUBSCRIPTION_LEASE_LOST", { subscription: id, holder: describeOwner(lease.owner) }),
        );
      }
    }
  };
  const timer = setInterval(
    () => {
      renewing = renewing.then(renew).catch((err: unknown) => reportLost(err as Error));
    },
    Math.max(1, Math.floor(ttlMs / 3)),
  );
  timer.unref();
  return {
    owner,
    lost,
    async release() {
      clearInterval(timer);
      await renewing;
      await releaseAll();
    },
  };
}

async function acquire(
  store: Store,
  subscription: string,
  owner: string,
  ttlMs: number,
  options: LeaseOptions & { signal?: AbortSignal },
): Promise<void> {
  for (let polls = 0; ; polls++) {
    let lease = await store.subscriptions.lease({ subscription, owner, ttlMs });
    if (lease.owner !== owner && ownerIsDeadHere(lease.owner)) {
      lease = await store.subscriptions.lease({ subscription, owner, ttlMs, takeOverFrom: lease.owner });
    }
    if (lease.owner === owner) return;
    if (!options.wait) throw leased(lease, ttlMs);
    if (polls === 0) options.waiting?.(subscription, describeOwner(lease.owner));
    // Poll well within the holder's renewal period so a released lease is taken promptly.
    await sleep(Math.min(1000, Math.max(10, Math.floor(ttlMs / 6))), undefined, {
      signal: options.signal,
    });
  }
}

function leased(lease: SubscriptionLease, ttlMs: number): ConnectorError<"SUBSCRIPTION_LEASED"> {
  return createError("SUBSCRIPTION_LEASED", {
    subscription: lease.subscription,
    holder: describeOwner(lease.owner),
    until: new Date(lease.expiresAt).toISOString(),
    ttl: `${Math.round(ttlMs / 1000)} s`,
  });
}
