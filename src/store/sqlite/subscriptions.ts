import { ATTEMPTS_KEPT, type AttemptRow, deliveryAttempt } from "../mapping-records.ts";
import type {
  DeadLetter,
  DeliveryAttempt,
  SubscriptionLease,
  SubscriptionRecord,
  Subscriptions,
} from "../types.ts";
import type { SqliteDatabase } from "./database.ts";

interface SubscriptionRow {
  id: string;
  data: string;
  created_at: string;
  updated_at: string;
}

interface LeaseRow {
  subscription: string;
  owner: string;
  acquired_at: string;
  expires_at: number;
}

interface DeadLetterRow {
  subscription: string;
  seq: number;
  event_id: string;
  event: string;
  error: string;
  at: string;
}

export class SqliteSubscriptions implements Subscriptions {
  readonly #db: SqliteDatabase;

  constructor(db: SqliteDatabase) {
    this.#db = db;
  }

  async put(id: string, data: Record<string, unknown>): Promise<SubscriptionRecord> {
    const now = new Date().toISOString();
    const row = this.#db.get<SubscriptionRow>(
      `INSERT INTO subscriptions (id, data, created_at, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at
       RETURNING *`,
      id,
      JSON.stringify(data),
      now,
      now,
    ) as SubscriptionRow;
    return subscriptionFromRow(row);
  }

  async get(id: string): Promise<SubscriptionRecord | undefined> {
    const row = this.#db.get<SubscriptionRow>("SELECT * FROM subscriptions WHERE id = ?", id);
    return row ? subscriptionFromRow(row) : undefined;
  }

  async list(): Promise<SubscriptionRecord[]> {
    return this.#db.all<SubscriptionRow>("SELECT * FROM subscriptions ORDER BY id").map(subscriptionFromRow);
  }

  async remove(id: string): Promise<boolean> {
    return this.#db.transaction(() => {
      this.#db.run("DELETE FROM dead_letters WHERE subscription = ?", id);
      this.#db.run("DELETE FROM delivery_attempts WHERE subscription = ?", id);
      this.#db.run("DELETE FROM subscription_leases WHERE subscription = ?", id);
      return this.#db.run("DELETE FROM subscriptions WHERE id = ?", id).changes > 0;
    });
  }

  async deadLetter(entry: Omit<DeadLetter, "at">): Promise<void> {
    this.#db.run(
      `INSERT INTO dead_letters (subscription, seq, event_id, event, error, at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (subscription, event_id) DO UPDATE SET error = excluded.error, at = excluded.at`,
      entry.subscription,
      entry.seq,
      entry.eventId,
      JSON.stringify(entry.event),
      entry.error,
      new Date().toISOString(),
    );
  }

  async deadLetters(subscription: string): Promise<DeadLetter[]> {
    return this.#db
      .all<DeadLetterRow>(
        "SELECT * FROM dead_letters WHERE subscription = ? ORDER BY seq, rowid",
        subscription,
      )
      .map((row) => ({
        subscription: row.subscription,
        seq: row.seq,
        eventId: row.event_id,
        event: JSON.parse(row.event) as Record<string, unknown>,
        error: row.error,
        at: row.at,
      }));
  }

  async clearDeadLetter(subscription: string, eventId: string): Promise<void> {
    this.#db.run("DELETE FROM dead_letters WHERE subscription = ? AND event_id = ?", subscription, eventId);
  }

  async recordAttempt(entry: Omit<DeliveryAttempt, "at">): Promise<void> {
    this.#db.transaction(() => {
      this.#db.run(
        `INSERT INTO delivery_attempts
           (subscription, seq, event_id, event_type, status, http_status, attempt, error, at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        entry.subscription,
        entry.seq,
        entry.eventId,
        entry.eventType,
        entry.status,
        entry.httpStatus ?? null,
        entry.attempt,
        entry.error ?? null,
        new Date().toISOString(),
      );
      this.#db.run(
        `DELETE FROM delivery_attempts WHERE subscription = ?1 AND n < (
           SELECT n FROM delivery_attempts WHERE subscription = ?1 ORDER BY n DESC LIMIT 1 OFFSET ?2)`,
        entry.subscription,
        ATTEMPTS_KEPT - 1,
      );
    });
  }

  async attempts(subscription: string, limit: number): Promise<DeliveryAttempt[]> {
    return this.#db
      .all<AttemptRow>(
        "SELECT * FROM delivery_attempts WHERE subscription = ? ORDER BY n DESC LIMIT ?",
        subscription,
        limit,
      )
      .map(deliveryAttempt);
  }

  async lease(input: {
    subscription: string;
    owner: string;
    ttlMs: number;
    takeOverFrom?: string;
    now?: number;
  }): Promise<SubscriptionLease> {
    const now = input.now ?? Date.now();
    // One statement: the upsert's WHERE makes grant-or-keep atomic between processes.
    this.#db.run(
      `INSERT INTO subscription_leases (subscription, owner, acquired_at, expires_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (subscription) DO UPDATE SET
         owner = excluded.owner,
         acquired_at = CASE WHEN owner = excluded.owner THEN acquired_at ELSE excluded.acquired_at END,
         expires_at = excluded.expires_at
       WHERE owner = excluded.owner OR expires_at <= ? OR owner = ?`,
      input.subscription,
      input.owner,
      new Date(now).toISOString(),
      now + input.ttlMs,
      now,
      input.takeOverFrom ?? null,
    );
    const row = this.#db.get<LeaseRow>(
      "SELECT * FROM subscription_leases WHERE subscription = ?",
      input.subscription,
    ) as LeaseRow;
    return {
      subscription: row.subscription,
      owner: row.owner,
      acquiredAt: row.acquired_at,
      expiresAt: row.expires_at,
    };
  }

  async releaseLease(subscription: string, owner: string): Promise<void> {
    this.#db.run("DELETE FROM subscription_leases WHERE subscription = ? AND owner = ?", subscription, owner);
  }
}

function subscriptionFromRow(row: SubscriptionRow): SubscriptionRecord {
  return {
    id: row.id,
    data: JSON.parse(row.data) as Record<string, unknown>,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
