/**
 * A managed connection's token cache kept in a shared service state (PostgreSQL) rather than its
 * folder, so every API replica and worker uses the same sign-in. Each token is sealed on its own with
 * the connector key, bound to the connection and the cache entry: a row copied to another connection
 * or entry does not open.
 */
import { open, seal } from "../auth/secret-box.ts";
import { credentialFingerprint, type TokenStore } from "../auth/token-store.ts";
import type { StoredToken } from "../common/tokens.ts";
import { createError } from "../errors.ts";
import type { StateTokenCache } from "./state.ts";

const label = (connectionId: string, entry: string) =>
  `entra-connector/connection-tokens/v1/${connectionId}\0${entry}`;

export function stateTokenStore(cache: StateTokenCache, connectionId: string, key: Buffer): TokenStore {
  const path = `service state (connection ${connectionId})`;
  return {
    path,
    async get(entry) {
      const sealed = await cache.get(connectionId, entry);
      if (sealed === undefined) return undefined;
      try {
        return JSON.parse(open(key, sealed, label(connectionId, entry)).toString("utf8")) as StoredToken;
      } catch (err) {
        throw createError(
          "TOKEN_STORE_UNREADABLE",
          { path, reason: "wrong key or corrupted entry" },
          { cause: err },
        );
      }
    },
    set: (entry, token) =>
      cache.put(
        connectionId,
        entry,
        seal(key, Buffer.from(JSON.stringify(token)), label(connectionId, entry)),
        token.expiresAt,
      ),
    delete: (entry) => cache.drop(connectionId, entry),
    discard: () => cache.drop(connectionId),
    fingerprint: credentialFingerprint(async () => key),
  };
}
