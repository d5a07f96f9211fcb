import { ATTEMPTS_KEPT, type AttemptRow, deliveryAttempt } from "../mapping-records.ts";
import type {
  DeadLetter,
  DeliveryAttempt,
  SubscriptionLease,
  SubscriptionRecord,
  Subscriptions,
} from "../types.ts";
import { one, type PgDatabase } from "./database.ts";

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

export class PgSubscriptions implements Subscriptions {
  readonly #db: PgDatabase;

  constructor(db: PgDatabase) {
    this.#db = db;
  }

  async put(id: string, data: Record<string, unknown>): Promise<SubscriptionRecord> {
    const now = new Date().toISOString();
    const row = (await one<SubscriptionRow>(
      this.#db,
      `INSERT INTO subscriptions (id, data, created_at, updated_at) VALUES ($1, $2, $3, $3)
       ON CONFLICT (id) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at
       RETURNING *`,
      [id, JSON.stringify(data), now],
    )) as SubscriptionRow;
    return subscriptionFromRow(row);
  }

  async get(id: string): Promise<SubscriptionRecord | undefined> {
    const row = await one<SubscriptionRow>(this.#db, "SELECT * FROM subscriptions WHERE id = $1", [id]);
    return row ? subscriptionFromRow(row) : undefined;
  }

  async list(): Promise<SubscriptionRecord[]> {
    return (await this.#db.query<SubscriptionRow>("SELECT * FROM subscriptions ORDER BY id")).map(
      subscriptionFromRow,
    );
  }

  async remove(id: string): Promise<boolean> {
    return this.#db.transaction(async (tx) => {
      await tx.query("DELETE FROM dead_letters WHERE subscription = $1", [id]);
      await tx.query("DELETE FROM delivery_attempts WHERE subscription = $1", [id]);
      await tx.query("DELETE FROM subscription_leases WHERE subscription = $1", [id]);
      return (await tx.query("DELETE FROM subscriptions WHERE id = $1 RETURNING id", [id])).length > 0;
    });
  }

  async deadLetter(entry: Omit<DeadLetter, "at">): Promise<void> {
    await this.#db.query(
      `INSERT INTO dead_letters (subscription, seq, event_id, event, error, at) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (subscription, event_id) DO UPDATE SET error = excluded.error, at = excluded.at`,
      [
        entry.subscription,
        entry.seq,
        entry.eventId,
        JSON.stringify(entry.event),
        entry.error,
        new Date().toISOString(),
      ],
    );
  }

  async deadLetters(subscription: string): Promise<DeadLetter[]> {
    const rows = await this.#db.query<DeadLetterRow>(
      "SELECT * FROM dead_letters WHERE subscription = $1 ORDER BY seq, n",
      [subscription],
    );
    return rows.map((row) => ({
      subscription: row.subscription,
      seq: row.seq,
      eventId: row.event_id,
      event: JSON.parse(row.event) as Record<string, unknown>,
      error: row.error,
      at: row.at,
    }));
  }

  async clearDeadLetter(subscription: string, eventId: string): Promise<void> {
    await this.#db.query("DELETE FROM dead_letters WHERE subscription = $1 AND event_id = $2", [
      subscription,
      eventId,
    ]);
  }

  async recordAttempt(entry: Omit<DeliveryAttempt, "at">): Promise<void> {
    await this.#db.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO delivery_attempts
           (subscription, seq, event_id, event_type, status, http_status, attempt, error, at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [
          entry.subscription,
          entry.seq,
          entry.eventId,
          entry.eventType,
          entry.status,
          entry.httpStatus ?? null,
          entry.attempt,
          entry.error ?? null,
          new Date().toISOString(),
        ],
      );
      await tx.query(
        `DELETE FROM delivery_attempts WHERE subscription = $1 AND n < (
           SELECT n FROM delivery_attempts WHERE subscription = $1 ORDER BY n DESC LIMIT 1 OFFSET $2)`,
        [entry.subscription, ATTEMPTS_KEPT - 1],
      );
    });
  }

  async attempts(subscription: string, limit: number): Promise<DeliveryAttempt[]> {
    const rows = await this.#db.query<AttemptRow>(
      "SELECT * FROM delivery_attempts WHERE subscription = $1 ORDER BY n DESC LIMIT $2",
      [subscription, limit],
    );
    return rows.map(deliveryAttempt);
  }

  async lease(input: {
    subscription: string;
    owner: string;
    ttlMs: number;
    takeOverFrom?: string;
    now?: number;
  }): Promise<SubscriptionLease> {
    const now = input.now ?? Date.now();
    // One statement: the upsert's WHERE makes grant-or-keep atomic between processes; when it grants
    // nothing, the holder's row is read in the same transaction.
    const row = await this.#db.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO subscription_leases AS l (subscription, owner, acquired_at, expires_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (subscription) DO UPDATE SET
           owner = excluded.owner,
           acquired_at = CASE WHEN l.owner = excluded.owner THEN l.acquired_at ELSE excluded.acquired_at END,
           expires_at = excluded.expires_at
         WHERE l.owner = excluded.owner OR l.expires_at <= $5 OR l.owner = $6`,
        [
          input.subscription,
          input.owner,
          new Date(now).toISOString(),
          now + input.ttlMs,
          now,
          input.takeOverFrom ?? null,
        ],
      );
      return (await one<LeaseRow>(tx, "SELECT * FROM subscription_leases WHERE subscription = $1", [
        input.subscription,
      ])) as LeaseRow;
    });
    return {
      subscription: row.subscription,
      owner: row.owner,
      acquiredAt: row.acquired_at,
      expiresAt: row.expires_at,
    };
  }

  async releaseLease(subscription: string, owner: string): Promise<void> {
    await this.#db.query("DELETE FROM subscription_leases WHERE subscription = $1 AND owner = $2", [
      subscription,
      owner,
    ]);
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
