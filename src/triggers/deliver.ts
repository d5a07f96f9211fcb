/**
 * One subscription's delivery: reads the outbox after its position, turns changes into trigger
 * events (none for what a scope's first load found, unless `emitInitial`), keeps those it selects,
 * and hands them to its sink one at a time, strictly in order. The
 * position moves past a change only after every event it caused was accepted (or dead-lettered), so
 * a crash in between redelivers the same events with the same ids and never drops one.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { backoffMs } from "../common/retry-after.ts";
import type { DeliveryAttempt, Store } from "../store/types.ts";
import { Baselines } from "./baselines.ts";
import { deriveEvents } from "./derive.ts";
import { matchesFilter, type SubjectLookup, typeSet } from "./match.ts";
import { DeliveryError, type Sink } from "./sinks/sink.ts";
import { consumerName } from "./subscriptions.ts";
import type { RetryPolicy } from "./timing.ts";
import type { Subscription, TriggerEvent, TriggerType } from "./types.ts";

export interface DeliveryPolicy {
  retry: RetryPolicy;
  /** After failing this long, an event is dead-lettered and delivery moves on. */
  deadLetterAfterMs: number;
}

export interface DeliveryReport {
  /** A failed attempt (will retry) or a dead-lettered event. Messages carry no secrets. */
  problem?(subscription: string, message: string): void;
  /** Every attempt, as the store records it (the service counts them). */
  attempt?(attempt: Omit<DeliveryAttempt, "at">): void;
}

/** Outbox entries read per batch. */
const BATCH = 500;

export class SubscriptionDelivery {
  readonly subscription: Subscription;
  readonly #store: Store;
  readonly #sink: Sink;
  readonly #types: Set<TriggerType>;
  readonly #lookup: SubjectLookup;
  readonly #policy: DeliveryPolicy;
  readonly #report: DeliveryReport;
  readonly #baselines = new Baselines();
  #skip: Set<string> | undefined;
  #delivered = 0;

  constructor(input: {
    store: Store;
    subscription: Subscription;
    sink: Sink;
    policy: DeliveryPolicy;
    report?: DeliveryReport;
  }) {
    this.subscription = input.subscription;
    this.#store = input.store;
    this.#sink = input.sink;
    this.#types = typeSet(input.subscription.types);
    this.#lookup = storeLookup(input.store);
    this.#policy = input.policy;
    this.#report = input.report ?? {};
  }

  /** Events accepted by the sink since this object was made. */
  get delivered(): number {
    return this.#delivered;
  }

  /** Delivers everything committed in the outbox after the position; resolves when caught up. */
  async drain(signal?: AbortSignal): Promise<void> {
    const consumer = consumerName(this.subscription.id);
    let position = await this.#store.outbox.position(consumer);
    this.#skip ??= await this.#sink.open(position);
    for (;;) {
      signal?.throwIfAborted();
      const changes = await this.#store.outbox.read({ afterSeq: position, limit: BATCH });
      if (changes.length === 0) return;
      const initialToo = this.subscription.emitInitial;
      if (!initialToo) await this.#baselines.update(this.#store, changes);
      let pending = false;
      for (const change of changes) {
        let sent = false;
        const silent = !initialToo && this.#baselines.initial(change);
        for (const event of silent ? [] : deriveEvents(change)) {
          if (!(await this.#selects(event))) continue;
          if (this.#skip.delete(event.id)) continue;
          // Stopped between events (a subscription being changed): the rest of the change comes again.
          signal?.throwIfAborted();
          await this.#deliverOne(event, signal);
          sent = true;
        }
        position = change.seq;
        pending = true;
        if (sent) {
          await this.#store.outbox.commit(consumer, position);
          pending = false;
        }
      }
      if (pending) await this.#store.outbox.commit(consumer, position);
    }
  }

  /** Sends the dead letters again, oldest first; those that fail again stay. Returns how many went. */
  async replayDeadLetters(signal?: AbortSignal): Promise<{ replayed: number; failed: number }> {
    const letters = await this.#store.subscriptions.deadLetters(this.subscription.id);
    let replayed = 0;
    for (const letter of letters) {
      signal?.throwIfAborted();
      const tried = await this.#try(letter.event as unknown as TriggerEvent, 1);
      if (tried.error !== undefined) {
        await this.#record({ ...tried.attempt, status: "failed" });
        this.#report.problem?.(
          this.subscription.id,
          `replay of ${letter.eventId} failed: ${tried.error.message}`,
        );
        // Later letters would overtake this one; stop to keep the order.
        return { replayed, failed: letters.length - replayed };
      }
      await this.#record(tried.attempt);
      await this.#store.subscriptions.clearDeadLetter(this.subscription.id, letter.eventId);
      replayed++;
    }
    return { replayed, failed: 0 };
  }

  /**
   * One attempt, now, outside the order (a test event): recorded like any other, neither retried nor
   * dead-lettered. Resolves with the attempt, accepted or not.
   */
  async deliverNow(event: TriggerEvent): Promise<Omit<DeliveryAttempt, "at">> {
    const tried = await this.#try(event, 1);
    return await this.#record(
      tried.error === undefined ? tried.attempt : { ...tried.attempt, status: "failed" },
    );
  }

  /** Hands the event to the sink once; a refusal comes back as `error` (the attempt says `retrying`). */
  async #try(
    event: TriggerEvent,
    attempt: number,
  ): Promise<{ attempt: Omit<DeliveryAttempt, "at">; error?: Error }> {
    const base = {
      subscription: this.subscription.id,
      seq: event.seq,
      eventId: event.id,
      eventType: event.type,
      attempt,
    };
    try {
      const outcome = await this.#sink.deliver(event);
      const httpStatus = outcome?.httpStatus;
      return { attempt: { ...base, status: "delivered", ...(httpStatus ? { httpStatus } : {}) } };
    } catch (err) {
      const httpStatus = err instanceof DeliveryError ? err.httpStatus : undefined;
      const error = err as Error;
      return {
        attempt: { ...base, status: "retrying", ...(httpStatus ? { httpStatus } : {}), error: error.message },
        error,
      };
    }
  }

  async #record(attempt: Omit<DeliveryAttempt, "at">): Promise<Omit<DeliveryAttempt, "at">> {
    await this.#store.subscriptions.recordAttempt(attempt);
    this.#report.attempt?.(attempt);
    return attempt;
  }

  async #selects(event: TriggerEvent): Promise<boolean> {
    return (
      this.#types.has(event.type) && (await matchesFilter(event, this.subscription.filter, this.#lookup))
    );
  }

  async #deliverOne(event: TriggerEvent, signal: AbortSignal | undefined): Promise<void> {
    let since: number | undefined;
    for (let attempt = 1; ; attempt++) {
      const tried = await this.#try(event, attempt);
      if (tried.error === undefined) {
        await this.#record(tried.attempt);
        this.#delivered++;
        if (since !== undefined) await this.#setFailing(undefined);
        return;
      }
      signal?.throwIfAborted();
      const message = tried.error.message;
      since ??= await this.#failingSince(event.id);
      if (Date.now() - since >= this.#policy.deadLetterAfterMs) {
        await this.#record({ ...tried.attempt, status: "failed" });
        await this.#store.subscriptions.deadLetter({
          subscription: this.subscription.id,
          seq: event.seq,
          eventId: event.id,
          event: event as unknown as Record<string, unknown>,
          error: message,
        });
        await this.#setFailing(undefined);
        this.#report.problem?.(
          this.subscription.id,
          `event ${event.id} (${event.type}) dead-lettered after ${attempt} attempts: ${message}`,
        );
        return;
      }
      await this.#record(tried.attempt);
      const delay = backoffMs(attempt, this.#policy.retry);
      this.#report.problem?.(
        this.subscription.id,
        `attempt ${attempt} failed (${message}); retrying in ${delay} ms`,
      );
      await sleep(delay, undefined, { signal });
    }
  }

  /** When this event first failed: kept in the store so a restart does not reset the dead-letter clock. */
  async #failingSince(eventId: string): Promise<number> {
    const failing = this.subscription.failing;
    if (failing?.eventId === eventId) return Date.parse(failing.since);
    await this.#setFailing({ eventId, since: new Date().toISOString() });
    return Date.now();
  }

  async #setFailing(failing: Subscription["failing"]): Promise<void> {
    if (failing) this.subscription.failing = failing;
    else delete this.subscription.failing;
    await this.#store.subscriptions.put(this.subscription.id, { ...this.subscription });
  }
}

/** Filters read the subject from the store as it is now. */
export function storeLookup(store: Store): SubjectLookup {
  return {
    async object(id) {
      return (await store.query.resolve(id))?.data;
    },
    async isMember(groupId, principalId) {
      const grants = await store.query.grants({ principalId });
      return grants.some((g) => g.relation === "group:member" && g.objectId === groupId);
    },
  };
}
