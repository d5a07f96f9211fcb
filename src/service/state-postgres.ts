/**
 * The service state in PostgreSQL, for API replicas that must agree on tokens, users, sessions and
 * managed connections. The same tables as the SQLite file's, in a schema of their own beside the
 * store's (`<store schema>_service`), versioned by the store's migrator; timestamps stay ISO text so
 * both keep the same comparisons.
 */
import { createError } from "../errors.ts";
import {
  isPostgresUrl,
  one,
  PgDatabase,
  type PgLocation,
  parsePostgresUrl,
} from "../store/postgres/database.ts";
import type { PgMigration } from "../store/postgres/migrations.ts";
import { type ApiRole, digestOf, newApiToken } from "./api-tokens.ts";
import { hashPassword, newSecret, SESSION_TTL_MS, verifyPassword } from "./sessions.ts";
import {
  type AuditRow,
  auditEntry,
  type ConnectionRow,
  columns,
  limitColumn,
  limitOf,
  openServiceState,
  record,
  type ServiceState,
  type SessionRow,
  serviceStatePath,
  sessionInfo,
  type TokenRow,
  tokenInfo,
  type UserRow,
  userInfo,
} from "./state.ts";

const PG_STATE_MIGRATIONS: readonly PgMigration[] = [
  {
    version: 1,
    name: "tokens, managed connections and their audit, sign-ins, console users and sessions",
    sql: `
      CREATE TABLE api_tokens (
        name text PRIMARY KEY,
        digest text NOT NULL UNIQUE,
        role text NOT NULL,
        created_at text NOT NULL,
        last_used_at text,
        connections text
      );
      CREATE TABLE connections (
        id text COLLATE "C" PRIMARY KEY,
        name text NOT NULL,
        tenant_id text NOT NULL,
        client_id text NOT NULL,
        cloud text NOT NULL,
        credential_type text NOT NULL,
        credential text NOT NULL,
        credential_changed_at text,
        options text NOT NULL,
        created_at text NOT NULL,
        updated_at text NOT NULL
      );
      CREATE TABLE connection_audit (
        seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        at text NOT NULL,
        actor text NOT NULL,
        action text NOT NULL,
        connection_id text NOT NULL,
        detail text NOT NULL
      );
      CREATE INDEX connection_audit_by_connection ON connection_audit (connection_id, seq);
      CREATE TABLE oauth_states (
        digest text PRIMARY KEY,
        connection_id text NOT NULL,
        actor text NOT NULL,
        verifier text NOT NULL,
        expires_at text NOT NULL
      );
      CREATE TABLE local_users (
        name text COLLATE "C" PRIMARY KEY,
        role text NOT NULL,
        password_hash text NOT NULL,
        created_at text NOT NULL,
        connections text
      );
      CREATE TABLE sessions (
        digest text PRIMARY KEY,
        kind text NOT NULL,
        name text NOT NULL,
        role text NOT NULL,
        created_at text NOT NULL,
        expires_at text NOT NULL,
        connections text
      );
      CREATE INDEX sessions_by_principal ON sessions (kind, name);
      CREATE TABLE sign_in_tickets (
        digest text PRIMARY KEY,
        role text NOT NULL,
        expires_at text NOT NULL
      );`,
  },
  {
    version: 2,
    name: "managed connections' token caches, sealed",
    sql: `
      CREATE TABLE connection_tokens (
        connection_id text COLLATE "C" NOT NULL,
        entry text NOT NULL,
        sealed text NOT NULL,
        expires_at double precision NOT NULL,
        PRIMARY KEY (connection_id, entry)
      );`,
  },
];

/** Where a PostgreSQL store's service state lives: the store's database, schema `<schema>_service`. */
export function serviceStateLocation(storeUrl: string): PgLocation {
  const store = parsePostgresUrl(storeUrl);
  const url = new URL(storeUrl);
  url.searchParams.set("schema", `${store.schema}_service`.slice(0, 63));
  return parsePostgresUrl(url.href);
}

export async function openPostgresServiceState(
  storeUrl: string,
  now: () => Date = () => new Date(),
): Promise<ServiceState> {
  const db = await PgDatabase.open(serviceStateLocation(storeUrl), { migrations: PG_STATE_MIGRATIONS });
  const iso = () => now().toISOString();
  return {
    async createToken({ name, role, connections }) {
      const { token, digest } = newApiToken();
      const row: TokenRow = {
        name,
        role,
        created_at: iso(),
        last_used_at: null,
        connections: limitColumn({ connections }),
      };
      const inserted = await db.query(
        `INSERT INTO api_tokens (name, digest, role, created_at, connections) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (name) DO NOTHING RETURNING name`,
        [name, digest, role, row.created_at, row.connections],
      );
      if (inserted.length === 0) throw createError("API_TOKEN_NAME_TAKEN", { name });
      return { token, info: tokenInfo(row) };
    },
    async verifyToken(token) {
      const row = await one<TokenRow>(
        db,
        "SELECT name, role, created_at, last_used_at, connections FROM api_tokens WHERE digest = $1",
        [digestOf(token)],
      );
      if (row === undefined) return undefined;
      const at = iso();
      // Minute resolution is enough to tell a live token from a forgotten one, and spares a write per request.
      if (row.last_used_at?.slice(0, 16) !== at.slice(0, 16)) {
        await db.query("UPDATE api_tokens SET last_used_at = $1 WHERE name = $2", [at, row.name]);
      }
      return tokenInfo({ ...row, last_used_at: at });
    },
    async listTokens() {
      const rows = await db.query<TokenRow>(
        'SELECT name, role, created_at, last_used_at, connections FROM api_tokens ORDER BY name COLLATE "C"',
      );
      return rows.map(tokenInfo);
    },
    async revokeToken(name) {
      await db.transaction(async (tx) => {
        const gone = await tx.query("DELETE FROM api_tokens WHERE name = $1 RETURNING name", [name]);
        if (gone.length === 0) throw createError("API_TOKEN_NOT_FOUND", { name });
        await tx.query("DELETE FROM sessions WHERE kind = 'token' AND name = $1", [name]);
      });
    },
    async addUser({ name, role, password, connections }) {
      const row: UserRow = {
        name,
        role,
        password_hash: await hashPassword(password),
        created_at: iso(),
        connections: limitColumn({ connections }),
      };
      const inserted = await db.query(
        `INSERT INTO local_users (name, role, password_hash, created_at, connections) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (name) DO NOTHING RETURNING name`,
        [name, role, row.password_hash, row.created_at, row.connections],
      );
      if (inserted.length === 0) throw createError("LOCAL_USER_NAME_TAKEN", { name });
      return userInfo(row);
    },
    async verifyUser(name, password) {
      const row = await one<UserRow>(
        db,
        "SELECT name, role, password_hash, created_at, connections FROM local_users WHERE name = $1",
        [name],
      );
      const ok = await verifyPassword(password, row?.password_hash);
      return ok && row ? userInfo(row) : undefined;
    },
    async listUsers() {
      const rows = await db.query<UserRow>(
        "SELECT name, role, password_hash, created_at, connections FROM local_users ORDER BY name",
      );
      return rows.map(userInfo);
    },
    async removeUser(name) {
      await db.transaction(async (tx) => {
        const gone = await tx.query("DELETE FROM local_users WHERE name = $1 RETURNING name", [name]);
        if (gone.length === 0) throw createError("LOCAL_USER_NOT_FOUND", { name });
        await tx.query("DELETE FROM sessions WHERE kind = 'user' AND name = $1", [name]);
      });
    },
    async createSession(principal, ttlMs = SESSION_TTL_MS) {
      const at = now();
      await db.query("DELETE FROM sessions WHERE expires_at <= $1", [at.toISOString()]);
      const sessionId = newSecret("ecsess_");
      const expiresAt = new Date(at.getTime() + ttlMs).toISOString();
      const limit = limitColumn(principal);
      await db.query(
        `INSERT INTO sessions (digest, kind, name, role, created_at, expires_at, connections)
         VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [
          digestOf(sessionId),
          principal.kind,
          principal.name,
          principal.role,
          at.toISOString(),
          expiresAt,
          limit,
        ],
      );
      const { kind, name, role } = principal;
      return { sessionId, info: { kind, name, role, expiresAt, ...limitOf(limit) } };
    },
    async verifySession(sessionId) {
      const row = await one<SessionRow>(
        db,
        "SELECT kind, name, role, expires_at, connections FROM sessions WHERE digest = $1 AND expires_at > $2",
        [digestOf(sessionId), iso()],
      );
      return row && sessionInfo(row);
    },
    async endSession(sessionId) {
      await db.query("DELETE FROM sessions WHERE digest = $1", [digestOf(sessionId)]);
    },
    async createSignInTicket(role, ttlMs) {
      const at = now();
      await db.query("DELETE FROM sign_in_tickets WHERE expires_at <= $1", [at.toISOString()]);
      const ticket = newSecret("ectkt_");
      await db.query("INSERT INTO sign_in_tickets (digest, role, expires_at) VALUES ($1, $2, $3)", [
        digestOf(ticket),
        role,
        new Date(at.getTime() + ttlMs).toISOString(),
      ]);
      return ticket;
    },
    async redeemSignInTicket(ticket) {
      // Deleting is the redemption: of two uses of one link, on any replica, only the one that deletes the row signs in.
      const row = await one<{ role: ApiRole }>(
        db,
        "DELETE FROM sign_in_tickets WHERE digest = $1 AND expires_at > $2 RETURNING role",
        [digestOf(ticket), iso()],
      );
      return row && { role: row.role };
    },
    async listConnections() {
      return (await db.query<ConnectionRow>("SELECT * FROM connections ORDER BY id")).map(record);
    },
    async connectionsVersion() {
      const row = await one<{ v: string | null }>(
        db,
        "SELECT md5(string_agg(id || ' ' || updated_at, ',' ORDER BY id)) AS v FROM connections",
      );
      return row?.v ?? "";
    },
    async insertConnection(c) {
      const inserted = await db.query(
        `INSERT INTO connections (id, name, tenant_id, client_id, cloud, credential_type, credential,
           credential_changed_at, options, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (id) DO NOTHING RETURNING id`,
        columns(c),
      );
      if (inserted.length === 0) throw createError("CONNECTION_ID_TAKEN", { id: c.id });
    },
    async updateConnection(c) {
      await db.query(
        `UPDATE connections SET name = $2, tenant_id = $3, client_id = $4, cloud = $5, credential_type = $6,
           credential = $7, credential_changed_at = $8, options = $9, created_at = $10, updated_at = $11
         WHERE id = $1`,
        columns(c),
      );
    },
    async deleteConnection(id) {
      await db.transaction(async (tx) => {
        await tx.query("DELETE FROM connections WHERE id = $1", [id]);
        await tx.query("DELETE FROM oauth_states WHERE connection_id = $1", [id]);
        await tx.query("DELETE FROM connection_tokens WHERE connection_id = $1", [id]);
      });
    },
    async audit(entry) {
      await db.query(
        "INSERT INTO connection_audit (at, actor, action, connection_id, detail) VALUES ($1, $2, $3, $4, $5)",
        [iso(), entry.actor, entry.action, entry.connectionId, JSON.stringify(entry.detail)],
      );
    },
    async listAudit(connectionId) {
      const rows = await db.query<AuditRow>(
        `SELECT * FROM connection_audit ${connectionId === undefined ? "" : "WHERE connection_id = $1"} ORDER BY seq DESC`,
        connectionId === undefined ? [] : [connectionId],
      );
      return rows.map(auditEntry);
    },
    async putOAuthState(e) {
      await db.query("DELETE FROM oauth_states WHERE expires_at < $1", [iso()]);
      await db.query(
        "INSERT INTO oauth_states (digest, connection_id, actor, verifier, expires_at) VALUES ($1, $2, $3, $4, $5)",
        [e.digest, e.connectionId, e.actor, e.verifier, e.expiresAt.toISOString()],
      );
    },
    async takeOAuthState(digest) {
      // Deleting is the taking, as with tickets: the browser's answer may reach any replica, once.
      const row = await one<{ connection_id: string; actor: string; verifier: string; expires_at: string }>(
        db,
        "DELETE FROM oauth_states WHERE digest = $1 RETURNING connection_id, actor, verifier, expires_at",
        [digest],
      );
      if (row === undefined || row.expires_at < iso()) return undefined;
      return { connectionId: row.connection_id, actor: row.actor, verifier: row.verifier };
    },
    tokenCache: {
      async get(connectionId, entry) {
        const row = await one<{ sealed: string }>(
          db,
          "SELECT sealed FROM connection_tokens WHERE connection_id = $1 AND entry = $2",
          [connectionId, entry],
        );
        return row?.sealed;
      },
      async put(connectionId, entry, sealed, expiresAt) {
        await db.query(
          `INSERT INTO connection_tokens (connection_id, entry, sealed, expires_at) VALUES ($1, $2, $3, $4)
           ON CONFLICT (connection_id, entry) DO UPDATE SET sealed = excluded.sealed, expires_at = excluded.expires_at
           WHERE connection_tokens.expires_at <= excluded.expires_at`,
          [connectionId, entry, sealed, expiresAt],
        );
      },
      async drop(connectionId, entry) {
        await db.query(
          `DELETE FROM connection_tokens WHERE connection_id = $1 ${entry === undefined ? "" : "AND entry = $2"}`,
          entry === undefined ? [connectionId] : [connectionId, entry],
        );
      },
    },
    close: () => db.close(),
  };
}

/**
 * The state `serve` and the CLI share: in PostgreSQL when the store is there, so every API replica
 * sees the same tokens, users, sessions and managed connections; else the SQLite file beside the store.
 */
export function openServiceStateFor(settings: { store: string; stateDir: string }): Promise<ServiceState> {
  return isPostgresUrl(settings.store)
    ? openPostgresServiceState(settings.store)
    : Promise.resolve(openServiceState(serviceStatePath(settings.stateDir)));
}
