/**
 * The service's own state, apart from each connection's store: API tokens (digests only). A small
 * SQLite file beside the store with its own migrations, so the directory store's contract stays about
 * the tenant.
 */
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from "node:fs";
import { dirname, join } from "node:path";
import { createError } from "../errors.ts";
import { SqliteDatabase } from "../store/sqlite/database.ts";
import type { Migration } from "../store/sqlite/migrations.ts";
import { type ApiRole, digestOf, newApiToken } from "./api-tokens.ts";

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
];

export interface ApiTokenInfo {
  name: string;
  role: ApiRole;
  createdAt: string;
  lastUsedAt: string | null;
}

interface TokenRow {
  name: string;
  role: ApiRole;
  created_at: string;
  last_used_at: string | null;
}

export interface ServiceState {
  /** Creates a token; the clear token is returned this once and never stored. */
  createToken(input: { name: string; role: ApiRole }): { token: string; info: ApiTokenInfo };
  /** The token's name and role, or undefined for an unknown token. */
  verifyToken(token: string): ApiTokenInfo | undefined;
  listTokens(): ApiTokenInfo[];
  revokeToken(name: string): void;
  close(): void;
}

/** Where the service keeps its state for a store path: beside the store, in its state folder. */
export function serviceStatePath(stateDir: string): string {
  return join(stateDir, ".entra-connector", "service.db");
}

const info = (row: TokenRow): ApiTokenInfo => ({
  name: row.name,
  role: row.role,
  createdAt: row.created_at,
  lastUsedAt: row.last_used_at,
});

export function openServiceState(path: string, now: () => Date = () => new Date()): ServiceState {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  // Token digests are not secrets, but who may do what is nobody else's business: owner only.
  if (!existsSync(path)) closeSync(openSync(path, "a", 0o600));
  chmodSync(path, 0o600);
  const db = new SqliteDatabase(path, MIGRATIONS, { cacheMb: 2 });
  return {
    createToken({ name, role }) {
      const { token, digest } = newApiToken();
      const createdAt = now().toISOString();
      try {
        db.run(
          "INSERT INTO api_tokens (name, digest, role, created_at) VALUES (?, ?, ?, ?)",
          name,
          digest,
          role,
          createdAt,
        );
      } catch (err) {
        if (/UNIQUE constraint failed: api_tokens\.name/.test((err as Error).message)) {
          throw createError("API_TOKEN_NAME_TAKEN", { name });
        }
        throw err;
      }
      return { token, info: { name, role, createdAt, lastUsedAt: null } };
    },
    verifyToken(token) {
      const row = db.get<TokenRow>(
        "SELECT name, role, created_at, last_used_at FROM api_tokens WHERE digest = ?",
        digestOf(token),
      );
      if (row === undefined) return undefined;
      const at = now().toISOString();
      // Minute resolution is enough to tell a live token from a forgotten one, and spares a write per request.
      if (row.last_used_at?.slice(0, 16) !== at.slice(0, 16)) {
        db.run("UPDATE api_tokens SET last_used_at = ? WHERE name = ?", at, row.name);
      }
      return info({ ...row, last_used_at: at });
    },
    listTokens() {
      return db
        .all<TokenRow>("SELECT name, role, created_at, last_used_at FROM api_tokens ORDER BY name")
        .map(info);
    },
    revokeToken(name) {
      if (db.run("DELETE FROM api_tokens WHERE name = ?", name).changes === 0) {
        throw createError("API_TOKEN_NOT_FOUND", { name });
      }
    },
    close() {
      db.close();
    },
  };
}
