import { createHmac, hkdfSync, randomBytes } from "node:crypto";
import { chmod, readFile, rename, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { StoredToken } from "../common/tokens.ts";
import { createError, isConnectorError } from "../errors.ts";
import type { Logger } from "../log/logger.ts";
import {
  type ConnectorKeyOptions,
  loadConnectorKey,
  open,
  parseConnectorKey,
  seal,
  secretsDir,
  unusableFolder,
} from "./secret-box.ts";

/**
 * Tokens per connection, encrypted at rest with AES-256-GCM in one file
 * (`<state dir>/.entra-connector/tokens.json.enc`), replaced atomically (temp file + rename).
 * The key and the envelope are secret-box.ts's (shared with the webhook secrets of subscriptions).
 */
export interface TokenStore {
  get(connectionKey: string): Promise<StoredToken | undefined>;
  set(connectionKey: string, token: StoredToken): Promise<void>;
  delete(connectionKey: string): Promise<void>;
  /** Removes the whole file (every connection's tokens): for a file this key cannot open. */
  discard(): Promise<void>;
  /**
   * A keyed hash of a credential (HMAC-SHA256 under a key derived from the store's key), to tell
   * credentials apart in cache keys without keeping anything that could sign in.
   */
  fingerprint(credential: Buffer): Promise<string>;
  readonly path: string;
}

const LABEL = "entra-connector/tokens/v1";
const FINGERPRINT_INFO = "entra-connector/credential-fingerprint/v1";

export { parseConnectorKey };

export type FileTokenStoreOptions = ConnectorKeyOptions;

export function fileTokenStore(options: FileTokenStoreOptions): TokenStore {
  const dir = secretsDir(options.stateDir);
  const path = join(dir, "tokens.json.enc");
  // Checked now: a malformed ENTRA_CONNECTOR_KEY is a usage error before anything is read.
  parseConnectorKey(options.connectorKey);
  let key: Promise<Buffer> | undefined;
  // Read-modify-write is serialised within the process so concurrent saves do not lose each other.
  let queue: Promise<unknown> = Promise.resolve();

  const unusable = (err: unknown) => unusableFolder(dir, err);

  const getKey = () => {
    key ??= loadConnectorKey(options);
    return key;
  };
  const fingerprint = credentialFingerprint(getKey);

  async function readAll(): Promise<Record<string, StoredToken>> {
    let envelope: string;
    try {
      envelope = await readFile(path, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return {};
      throw unusable(err);
    }
    try {
      return JSON.parse(open(await getKey(), envelope, LABEL).toString("utf8")) as Record<
        string,
        StoredToken
      >;
    } catch (err) {
      throw createError(
        "TOKEN_STORE_UNREADABLE",
        { path, reason: "wrong key or corrupted file" },
        { cause: err },
      );
    }
  }

  async function writeAll(all: Record<string, StoredToken>): Promise<void> {
    const k = await getKey();
    const tmp = `${path}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
    try {
      await writeFile(tmp, seal(k, Buffer.from(JSON.stringify(all)), LABEL), { mode: 0o600 });
      await chmod(tmp, 0o600);
      await rename(tmp, path);
    } catch (err) {
      await unlink(tmp).catch(() => {});
      throw unusable(err);
    }
  }

  function update(fn: (all: Record<string, StoredToken>) => void): Promise<void> {
    const next = queue.then(async () => {
      const all = await readAll();
      fn(all);
      await writeAll(all);
    });
    queue = next.catch(() => {});
    return next;
  }

  return {
    path,
    async get(connectionKey) {
      await queue;
      return (await readAll())[connectionKey];
    },
    set(connectionKey, token) {
      return update((all) => {
        all[connectionKey] = token;
      });
    },
    delete(connectionKey) {
      return update((all) => {
        delete all[connectionKey];
      });
    },
    discard() {
      const next = queue.then(() =>
        unlink(path).catch((err: NodeJS.ErrnoException) => {
          if (err.code !== "ENOENT") throw unusable(err);
        }),
      );
      queue = next.catch(() => {});
      return next;
    },
    fingerprint,
  };
}

/** TokenStore.fingerprint for a store sealed with `getKey()`'s key. */
export function credentialFingerprint(getKey: () => Promise<Buffer>): TokenStore["fingerprint"] {
  let fingerprintKey: Promise<Buffer> | undefined;
  return async (credential) => {
    // Its own key, so the hash says nothing about the key that seals the store.
    fingerprintKey ??= getKey().then((k) => Buffer.from(hkdfSync("sha256", k, "", FINGERPRINT_INFO, 32)));
    return createHmac("sha256", await fingerprintKey)
      .update(credential)
      .digest("base64url");
  };
}

/** Whether `err` says the store's file cannot be decrypted (not its key file: dropping tokens cannot mend that). */
export function isUnreadable(store: TokenStore, err: unknown): boolean {
  return isConnectorError(err, "TOKEN_STORE_UNREADABLE") && err.params["path"] === store.path;
}

/**
 * Runs `use`; when the store cannot be decrypted with this key (another ENTRA_CONNECTOR_KEY sealed
 * it, or it is damaged) its tokens are lost anyway: drop the file, say so, and run `use` again, so a
 * sign-in that can be repeated is repeated instead of failing every run.
 */
export async function dropIfUnreadable<T>(
  store: TokenStore,
  logger: Logger,
  use: () => Promise<T>,
): Promise<T> {
  try {
    return await use();
  } catch (err) {
    if (!isUnreadable(store, err)) throw err;
    logger.warn(
      { path: store.path },
      "the token cache cannot be decrypted with this ENTRA_CONNECTOR_KEY (or key file): another key sealed it, or it is damaged; it is removed and its tokens are obtained again",
    );
    await store.discard();
    return use();
  }
}
