import { randomBytes } from "node:crypto";
import { chmod, readFile, rename, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { StoredToken } from "../common/tokens.ts";
import { createError } from "../errors.ts";
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
  readonly path: string;
}

const LABEL = "entra-connector/tokens/v1";

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
  };
}
