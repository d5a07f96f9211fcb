/**
 * The service's own state, apart from each connection's store: API tokens (digests only, each with
 * the connections it is limited to, if any), the
 * connections managed through the API (credentials only as sealed envelopes, see connection-admin.ts),
 * the audit log of their changes, pending browser sign-ins, local console users (scrypt hashes),
 * console sessions and one-time sign-in tickets (digests only). A small SQLite file beside the store
 * with its own migrations, so the directory store's contract stays about the tenant.
 */
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from "node:fs";
import { dirname, join } from "node:path";
import { createError } from "../errors.ts";
import { SqliteDatabase } from "../store/sqlite/database.ts";
import type { Migration } from "../store/sqlite/migrations.ts";
import { type ApiRole, digestOf, newApiToken } from "./api-tokens.ts";
import { hashPassword, newSecret, SESSION_TTL_MS, verifyPassword } from "./sessions.ts";

const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "api tokens",
    sql: `CREATE TABLE api_tokens (
      name TEXT PRIMARY KEY,
      digest TEXT NOT NULL UNIQUE,
      role TEXT NOT NULL,
      created_at TEXT NOT NULL,
      last_used_at TEXT
    ) STRICT;`,
  },
  {
    version: 2,
    name: "managed connections",
    sql: `CREATE TABLE connections (
      id TEXT PRIMARY KEY,
      name TEXT NOT NULL,
      tenant_id TEXT NOT NULL,
      client_id TEXT NOT NULL,
      cloud TEXT NOT NULL,
      credential_type TEXT NOT NULL,
      credential TEXT NOT NULL,
      credential_changed_at TEXT,
      options TEXT NOT NULL,
      created_at TEXT NOT NULL,
      updated_at TEXT NOT NULL
    ) STRICT;
    CREATE TABLE connection_audit (
      seq INTEGER PRIMARY KEY,
      at TEXT NOT NULL,
      actor TEXT NOT NULL,
      action TEXT NOT NULL,
      connection_id TEXT NOT NULL,
      detail TEXT NOT NULL
    ) STRICT;
    CREATE TABLE oauth_states (
      digest TEXT PRIMARY KEY,
      connection_id TEXT NOT NULL,
      actor TEXT NOT NULL,
      verifier TEXT NOT NULL,
      expires_at TEXT NOT NULL
    ) STRICT;`,
  },
  {
    version: 3,
    name: "console users, sessions and sign-in tickets",
    sql: `CREATE TABLE local_users (
      name TEXT PRIMARY KEY,
      role TEXT NOT NULL,
      password_hash TEXT NOT NULL,
      created_at TEXT NOT NULL
    ) STRICT;
    CREATE TABLE sessions (
      digest TEXT PRIMARY KEY,
      kind TEXT NOT NULL,
      name TEXT NOT NULL,
      role TEXT NOT NULL,
      created_at TEXT NOT NULL,
      expires_at TEXT NOT NULL
    ) STRICT;
    CREATE INDEX sessions_by_principal ON sessions (kind, name);
    CREATE TABLE sign_in_tickets (
      digest TEXT PRIMARY KEY,
      role TEXT NOT NULL,
      expires_at TEXT NOT NULL
    ) STRICT;`,
  },
  {
    version: 4,
    name: "tokens, users and sessions limited to connections",
    // A JSON array of connection ids; NULL: all connections.
    sql: `ALTER TABLE api_tokens ADD COLUMN connections TEXT;
    ALTER TABLE local_users ADD COLUMN connections TEXT;
    ALTER TABLE sessions ADD COLUMN connections TEXT;`,
  },
];

/** The connections a token, user or session is limited to; absent: all of them. */
export interface ConnectionLimit {
  connections?: readonly string[] | undefined;
}

export const limitColumn = (limit: ConnectionLimit): string | null =>
  limit.connections === undefined ? null : JSON.stringify(limit.connections);

export const limitOf = (column: string | null): ConnectionLimit =>
  column === null ? {} : { connections: JSON.parse(column) as string[] };

/** What a console session was opened with: an API token, a local user's password or a one-time link. */
export type SessionKind = "token" | "user" | "link";

export interface SessionInfo extends ConnectionLimit {
  kind: SessionKind;
  /** The token's or the user's name ("sign-in link" for a link). */
  name: string;
  role: ApiRole;
  expiresAt: string;
}

export interface LocalUserInfo extends ConnectionLimit {
  name: string;
  role: ApiRole;
  createdAt: string;
}

/** A managed connection as stored: the credential is a sealed envelope, opened only by its connection. */
export interface ConnectionRecord {
  id: string;
  name: string;
  tenantId: string;
  clientId: string;
  cloud: string;
  credentialType: "secret" | "certificate" | "token" | "delegated";
  /** The secret box envelope of the credential (never the credential itself). */
  credential: string;
  credentialChangedAt: string | null;
  options: ConnectionOptionsRecord;
  createdAt: string;
  updatedAt: string;
}

export interface ConnectionOptionsRecord {
  kinds?: string | undefined;
  select?: string | undefined;
  provisioning?: boolean | undefined;
  schedule?: string | null | undefined;
  timeZone?: string | undefined;
  skipOnPremGroups?: boolean | undefined;
}

/** A browser sign-in in progress: for which connection, started by whom, and its sealed PKCE verifier. */
export interface OAuthState {
  connectionId: string;
  actor: string;
  verifier: string;
}

export interface ConnectionAuditEntry {
  seq: number;
  at: string;
  /** The API token's name (or `cli` for the command line). */
  actor: string;
  action: "create" | "update" | "delete" | "credential" | "sign-in";
  connectionId: string;
  /** What changed: field names only, never a value of a credential. */
  detail: Record<string, unknown>;
}

export interface ConnectionRow {
  id: string;
  name: string;
  tenant_id: string;
  client_id: string;
  cloud: string;
  credential_type: ConnectionRecord["credentialType"];
  credential: string;
  credential_changed_at: string | null;
  options: string;
  created_at: string;
  updated_at: string;
}

export const record = (r: ConnectionRow): ConnectionRecord => ({
  id: r.id,
  name: r.name,
  tenantId: r.tenant_id,
  clientId: r.client_id,
  cloud: r.cloud,
  credentialType: r.credential_type,
  credential: r.credential,
  credentialChangedAt: r.credential_changed_at,
  options: JSON.parse(r.options) as ConnectionOptionsRecord,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export interface ApiTokenInfo extends ConnectionLimit {
  name: string;
  role: ApiRole;
  createdAt: string;
  lastUsedAt: string | null;
}

export interface TokenRow {
  name: string;
  role: ApiRole;
  created_at: string;
  last_used_at: string | null;
  connections: string | null;
}

export interface ServiceState {
  /** Creates a token; the clear token is returned this once and never stored. */
  createToken(
    input: { name: string; role: ApiRole } & ConnectionLimit,
  ): Promise<{ token: string; info: ApiTokenInfo }>;
  /** The token's name, role and connections, or undefined for an unknown token. */
  verifyToken(token: string): Promise<ApiTokenInfo | undefined>;
  listTokens(): Promise<ApiTokenInfo[]>;
  /** Revokes the token and ends the console sessions opened with it. */
  revokeToken(name: string): Promise<void>;
  /** A console user; only a salted scrypt hash of the password is kept. */
  addUser(input: { name: string; role: ApiRole; password: string } & ConnectionLimit): Promise<LocalUserInfo>;
  /** The user when the password is theirs; unknown names take as long as wrong passwords. */
  verifyUser(name: string, password: string): Promise<LocalUserInfo | undefined>;
  listUsers(): Promise<LocalUserInfo[]>;
  /** Removes the user and ends their sessions. */
  removeUser(name: string): Promise<void>;
  /** A new session; the clear id goes in the cookie and is never stored. */
  createSession(
    principal: SessionPrincipal,
    ttlMs?: number,
  ): Promise<{ sessionId: string; info: SessionInfo }>;
  /** The live session of this id, or undefined (unknown or expired). */
  verifySession(sessionId: string): Promise<SessionInfo | undefined>;
  endSession(sessionId: string): Promise<void>;
  /** A one-time sign-in link's secret for `role`, valid for `ttlMs`. */
  createSignInTicket(role: ApiRole, ttlMs: number): Promise<string>;
  /** The ticket's role, once: a redeemed or expired ticket is gone. */
  redeemSignInTicket(ticket: string): Promise<{ role: ApiRole } | undefined>;
  listConnections(): Promise<ConnectionRecord[]>;
  /**
   * A digest of every managed connection's id and last change, for processes sharing the state to notice
   * another's create, change or delete with one small query; absent where one process owns the state.
   */
  connectionsVersion?(): Promise<string>;
  /** Stores a new connection, or CONNECTION_ID_TAKEN. */
  insertConnection(c: ConnectionRecord): Promise<void>;
  /** Replaces a stored connection (same id). */
  updateConnection(c: ConnectionRecord): Promise<void>;
  deleteConnection(id: string): Promise<void>;
  audit(entry: Omit<ConnectionAuditEntry, "seq" | "at">): Promise<void>;
  /** Newest first. */
  listAudit(connectionId?: string): Promise<ConnectionAuditEntry[]>;
  /** Keeps a pending browser sign-in under the digest of its state, until it is taken or expires. */
  putOAuthState(entry: OAuthState & { digest: string; expiresAt: Date }): Promise<void>;
  /** Takes a pending sign-in once: a second take (or an expired one) finds nothing. */
  takeOAuthState(digest: string): Promise<OAuthState | undefined>;
  /**
   * Managed connections' token caches, where processes on other hosts share the state (PostgreSQL), so
   * a worker uses the sign-in an API replica took; absent where each connection's folder keeps its own.
   */
  tokenCache?: StateTokenCache;
  close(): Promise<void>;
}

/** Sealed token envelopes per connection and cache entry; never a token in clear. */
export interface StateTokenCache {
  get(connectionId: string, entry: string): Promise<string | undefined>;
  /**
   * Stores the envelope of a token expiring at `expiresAt` (ms), unless a later-expiring one is stored
   * already: of two processes refreshing at once, the newer token wins whichever writes last.
   */
  put(connectionId: string, entry: string, sealed: string, expiresAt: number): Promise<void>;
  /** Forgets the connection's token of `entry`, or every one of its tokens. */
  drop(connectionId: string, entry?: string): Promise<void>;
}

/** Who a console session is for: a token, a local user or a sign-in link, with its role and connections. */
export type SessionPrincipal = { kind: SessionKind; name: string; role: ApiRole } & ConnectionLimit;

/** Where the service keeps its state for a store path: beside the store, in its state folder. */
export function serviceStatePath(stateDir: string): string {
  return join(stateDir, ".entra-connector", "service.db");
}

export const tokenInfo = (row: TokenRow): ApiTokenInfo => ({
  name: row.name,
  role: row.role,
  createdAt: row.created_at,
  lastUsedAt: row.last_used_at,
  ...limitOf(row.connections),
});

export interface UserRow {
  name: string;
  role: ApiRole;
  password_hash: string;
  created_at: string;
  connections: string | null;
}

export const userInfo = (row: UserRow): LocalUserInfo => ({
  name: row.name,
  role: row.role,
  createdAt: row.created_at,
  ...limitOf(row.connections),
});

export interface SessionRow {
  kind: SessionKind;
  name: string;
  role: ApiRole;
  expires_at: string;
  connections: string | null;
}

export const sessionInfo = (row: SessionRow): SessionInfo => ({
  kind: row.kind,
  name: row.name,
  role: row.role,
  expiresAt: row.expires_at,
  ...limitOf(row.connections),
});

export interface AuditRow {
  seq: number;
  at: string;
  actor: string;
  action: ConnectionAuditEntry["action"];
  connection_id: string;
  detail: string;
}

export const auditEntry = (r: AuditRow): ConnectionAuditEntry => ({
  seq: r.seq,
  at: r.at,
  actor: r.actor,
  action: r.action,
  connectionId: r.connection_id,
  detail: JSON.parse(r.detail) as Record<string, unknown>,
});

export function openServiceState(path: string, now: () => Date = () => new Date()): ServiceState {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  // Token digests are not secrets, but who may do what is nobody else's business: owner only.
  if (!existsSync(path)) closeSync(openSync(path, "a", 0o600));
  chmodSync(path, 0o600);
  const db = new SqliteDatabase(path, MIGRATIONS, { cacheMb: 2 });
  return {
    async createToken({ name, role, connections }) {
      const { token, digest } = newApiToken();
      const createdAt = now().toISOString();
      try {
        db.run(
          "INSERT INTO api_tokens (name, digest, role, created_at, connections) VALUES (?, ?, ?, ?, ?)",
          name,
          digest,
          role,
          createdAt,
          limitColumn({ connections }),
        );
      } catch (err) {
        if (/UNIQUE constraint failed: api_tokens\.name/.test((err as Error).message)) {
          throw createError("API_TOKEN_NAME_TAKEN", { name });
        }
        throw err;
      }
      return {
        token,
        info: tokenInfo({
          name,
          role,
          created_at: createdAt,
          last_used_at: null,
          connections: limitColumn({ connections }),
        }),
      };
    },
    async verifyToken(token) {
      const row = db.get<TokenRow>(
        "SELECT name, role, created_at, last_used_at, connections FROM api_tokens WHERE digest = ?",
        digestOf(token),
      );
      if (row === undefined) return undefined;
      const at = now().toISOString();
      // Minute resolution is enough to tell a live token from a forgotten one, and spares a write per request.
      if (row.last_used_at?.slice(0, 16) !== at.slice(0, 16)) {
        db.run("UPDATE api_tokens SET last_used_at = ? WHERE name = ?", at, row.name);
      }
      return tokenInfo({ ...row, last_used_at: at });
    },
    async listTokens() {
      return db
        .all<TokenRow>(
          "SELECT name, role, created_at, last_used_at, connections FROM api_tokens ORDER BY name",
        )
        .map(tokenInfo);
    },
    async revokeToken(name) {
      if (db.run("DELETE FROM api_tokens WHERE name = ?", name).changes === 0) {
        throw createError("API_TOKEN_NOT_FOUND", { name });
      }
      db.run("DELETE FROM sessions WHERE kind = 'token' AND name = ?", name);
    },
    async addUser({ name, role, password, connections }) {
      const hash = await hashPassword(password);
      const createdAt = now().toISOString();
      try {
        db.run(
          "INSERT INTO local_users (name, role, password_hash, created_at, connections) VALUES (?, ?, ?, ?, ?)",
          name,
          role,
          hash,
          createdAt,
          limitColumn({ connections }),
        );
      } catch (err) {
        if (/UNIQUE constraint failed: local_users\.name/.test((err as Error).message)) {
          throw createError("LOCAL_USER_NAME_TAKEN", { name });
        }
        throw err;
      }
      return { name, role, createdAt, ...(connections === undefined ? {} : { connections }) };
    },
    async verifyUser(name, password) {
      const row = db.get<UserRow>(
        "SELECT name, role, password_hash, created_at, connections FROM local_users WHERE name = ?",
        name,
      );
      const ok = await verifyPassword(password, row?.password_hash);
      return ok && row ? userInfo(row) : undefined;
    },
    async listUsers() {
      return db
        .all<UserRow>(
          "SELECT name, role, password_hash, created_at, connections FROM local_users ORDER BY name",
        )
        .map(userInfo);
    },
    async removeUser(name) {
      if (db.run("DELETE FROM local_users WHERE name = ?", name).changes === 0) {
        throw createError("LOCAL_USER_NOT_FOUND", { name });
      }
      db.run("DELETE FROM sessions WHERE kind = 'user' AND name = ?", name);
    },
    async createSession(principal, ttlMs = SESSION_TTL_MS) {
      const at = now();
      db.run("DELETE FROM sessions WHERE expires_at <= ?", at.toISOString());
      const sessionId = newSecret("ecsess_");
      const expiresAt = new Date(at.getTime() + ttlMs).toISOString();
      db.run(
        "INSERT INTO sessions (digest, kind, name, role, created_at, expires_at, connections) VALUES (?, ?, ?, ?, ?, ?, ?)",
        digestOf(sessionId),
        principal.kind,
        principal.name,
        principal.role,
        at.toISOString(),
        expiresAt,
        limitColumn(principal),
      );
      const { kind, name, role } = principal;
      return { sessionId, info: { kind, name, role, expiresAt, ...limitOf(limitColumn(principal)) } };
    },
    async verifySession(sessionId) {
      const row = db.get<SessionRow>(
        "SELECT kind, name, role, expires_at, connections FROM sessions WHERE digest = ? AND expires_at > ?",
        digestOf(sessionId),
        now().toISOString(),
      );
      return row && sessionInfo(row);
    },
    async endSession(sessionId) {
      db.run("DELETE FROM sessions WHERE digest = ?", digestOf(sessionId));
    },
    async createSignInTicket(role, ttlMs) {
      const at = now();
      db.run("DELETE FROM sign_in_tickets WHERE expires_at <= ?", at.toISOString());
      const ticket = newSecret("ectkt_");
      db.run(
        "INSERT INTO sign_in_tickets (digest, role, expires_at) VALUES (?, ?, ?)",
        digestOf(ticket),
        role,
        new Date(at.getTime() + ttlMs).toISOString(),
      );
      return ticket;
    },
    async redeemSignInTicket(ticket) {
      // Deleting is the redemption: of two uses of one link, only the one that deletes the row signs in.
      const row = db.get<{ role: ApiRole }>(
        "DELETE FROM sign_in_tickets WHERE digest = ? AND expires_at > ? RETURNING role",
        digestOf(ticket),
        now().toISOString(),
      );
      return row && { role: row.role };
    },
    async listConnections() {
      return db.all<ConnectionRow>("SELECT * FROM connections ORDER BY id").map(record);
    },
    async insertConnection(c) {
      try {
        db.run(
          `INSERT INTO connections (id, name, tenant_id, client_id, cloud, credential_type, credential,
             credential_changed_at, options, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          ...columns(c),
        );
      } catch (err) {
        if (/UNIQUE constraint failed: connections\.id/.test((err as Error).message)) {
          throw createError("CONNECTION_ID_TAKEN", { id: c.id });
        }
        throw err;
      }
    },
    async updateConnection(c) {
      const [id, ...rest] = columns(c);
      db.run(
        `UPDATE connections SET name = ?, tenant_id = ?, client_id = ?, cloud = ?, credential_type = ?,
           credential = ?, credential_changed_at = ?, options = ?, created_at = ?, updated_at = ? WHERE id = ?`,
        ...rest,
        id,
      );
    },
    async deleteConnection(id) {
      db.transaction(() => {
        db.run("DELETE FROM connections WHERE id = ?", id);
        db.run("DELETE FROM oauth_states WHERE connection_id = ?", id);
      });
    },
    async audit(entry) {
      db.run(
        "INSERT INTO connection_audit (at, actor, action, connection_id, detail) VALUES (?, ?, ?, ?, ?)",
        now().toISOString(),
        entry.actor,
        entry.action,
        entry.connectionId,
        JSON.stringify(entry.detail),
      );
    },
    async listAudit(connectionId) {
      return db
        .all<AuditRow>(
          `SELECT * FROM connection_audit ${connectionId === undefined ? "" : "WHERE connection_id = ?"} ORDER BY seq DESC`,
          ...(connectionId === undefined ? [] : [connectionId]),
        )
        .map(auditEntry);
    },
    async putOAuthState(e) {
      db.run("DELETE FROM oauth_states WHERE expires_at < ?", now().toISOString());
      db.run(
        "INSERT INTO oauth_states (digest, connection_id, actor, verifier, expires_at) VALUES (?, ?, ?, ?, ?)",
        e.digest,
        e.connectionId,
        e.actor,
        e.verifier,
        e.expiresAt.toISOString(),
      );
    },
    async takeOAuthState(digest) {
      return db.transaction(() => {
        const row = db.get<{ connection_id: string; actor: string; verifier: string; expires_at: string }>(
          "SELECT connection_id, actor, verifier, expires_at FROM oauth_states WHERE digest = ?",
          digest,
        );
        db.run("DELETE FROM oauth_states WHERE digest = ?", digest);
        if (row === undefined || row.expires_at < now().toISOString()) return undefined;
        return { connectionId: row.connection_id, actor: row.actor, verifier: row.verifier };
      });
    },
    async close() {
      db.close();
    },
  };
}

export function columns(c: ConnectionRecord): [string, ...(string | null)[]] {
  return [
    c.id,
    c.name,
    c.tenantId,
    c.clientId,
    c.cloud,
    c.credentialType,
    c.credential,
    c.credentialChangedAt,
    JSON.stringify(c.options),
    c.createdAt,
    c.updatedAt,
  ];
}
