/**
 * Graph's budget is per app and tenant, so every process working one tenant spends from one bucket:
 * a row per app + tenant (and reads / writes) in the queue's PostgreSQL schema. A process leases a
 * slice of it with one statement (see `SharedBudget` in src/graph/limiter.ts) and spends the slice
 * locally, so the database sees one statement per twentieth of the budget, not one per request. The
 * row refills by the clock of PostgreSQL, the one clock every worker shares.
 */
import pg from "pg";
import type { SharedBudget } from "../graph/limiter.ts";

export interface PostgresBudget extends SharedBudget {
  close(): Promise<void>;
}

/** Another process created it first: what was wanted exists. */
const ALREADY_THERE = new Set(["23505", "42P06", "42P07"]);

export function postgresBudget(options: { connectionString: string; schema: string }): PostgresBudget {
  const { schema } = options;
  const table = `${schema}.graph_budget`;
  const pool = new pg.Pool({ connectionString: options.connectionString, max: 2, idleTimeoutMillis: 10_000 });
  // A lost connection is seen by the next query; an idle client's error must not end the process.
  pool.on("error", () => {});
  let ready: Promise<void> | undefined;
  const prepare = async () => {
    for (const sql of [
      `CREATE SCHEMA IF NOT EXISTS ${schema}`,
      `CREATE TABLE IF NOT EXISTS ${table} (key text PRIMARY KEY, tokens float8 NOT NULL, at timestamptz NOT NULL)`,
    ]) {
      await pool.query(sql).catch((err: { code?: string }) => {
        if (!ALREADY_THERE.has(err.code ?? "")) throw err;
      });
    }
  };
  return {
    async take(key, amount, { burst, perMs }) {
      ready ??= prepare().catch((err: unknown) => {
        ready = undefined;
        throw err;
      });
      await ready;
      // A new row starts full, as Graph's bucket does; the refill since the last take is capped at the burst.
      const { rows } = await pool.query<{ tokens: number }>(
        `WITH t AS (SELECT clock_timestamp() AS now)
         INSERT INTO ${table} AS b (key, tokens, at) SELECT $1, $2::float8 - $3::float8, t.now FROM t
         ON CONFLICT (key) DO UPDATE SET
           tokens = LEAST($2::float8, b.tokens + EXTRACT(EPOCH FROM excluded.at - b.at) * 1000 * $4::float8) - $3::float8,
           at = excluded.at
         RETURNING tokens`,
        [key, burst, amount, perMs],
      );
      const tokens = Number(rows[0]?.tokens ?? 0);
      return tokens >= 0 ? 0 : Math.ceil(-tokens / perMs);
    },
    close: () => pool.end(),
  };
}
