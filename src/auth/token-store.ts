import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { chmod, mkdir, readFile, rename, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createError } from "../errors.ts";
import type { StoredToken } from "./types.ts";

/**
 * Tokens per connection, encrypted at rest with AES-256-GCM in one file
 * (`<state dir>/.entra-connector/tokens.json.enc`), replaced atomically (temp file + rename).
 * The key comes from ENTRA_CONNECTOR_KEY (32 bytes as base64 or hex) or a generated key file with
 * 0600 permissions beside the store.
 */
export interface TokenStore {
  get(connectionKey: string): Promise<StoredToken | undefined>;
  set(connectionKey: string, token: StoredToken): Promise<void>;
  delete(connectionKey: string): Promise<void>;
  readonly path: string;
}

const AAD = Buffer.from("entra-connector/tokens/v1");

/** A 32-byte key from ENTRA_CONNECTOR_KEY (base64 or hex); undefined when unset. */
export function parseConnectorKey(value: string | undefined): Buffer | undefined {
  if (value === undefined || value.trim() === "") return undefined;
  const v = value.trim();
  const key = /^[0-9a-f]{64}$/i.test(v)
    ? Buffer.from(v, "hex")
    : /^[A-Za-z0-9+/_-]{43}=?$/.test(v)
      ? Buffer.from(v, "base64")
      : undefined;
  if (key?.length !== 32) {
    throw createError("CONFIG_INVALID", {
      field: "ENTRA_CONNECTOR_KEY",
      problem:
        "must be 32 random bytes as base64 (44 characters) or hex (64 characters); generate one with `openssl rand -base64 32`",
    });
  }
  return key;
}

async function keyFromFile(file: string): Promise<Buffer> {
  try {
    const k = Buffer.from((await readFile(file, "utf8")).trim(), "base64");
    if (k.length === 32) return k;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    const fresh = randomBytes(32);
    try {
      // `wx`: if another process created the key first, use theirs.
      await writeFile(file, fresh.toString("base64") + "\n", { mode: 0o600, flag: "wx" });
      return fresh;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      return keyFromFile(file);
    }
  }
  throw createError("TOKEN_STORE_UNREADABLE", {
    path: file,
    reason: "the key file does not hold 32 base64 bytes",
  });
}

export function encrypt(key: Buffer, plain: Buffer): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(AAD);
  const data = Buffer.concat([cipher.update(plain), cipher.final()]);
  return JSON.stringify({
    v: 1,
    alg: "A256GCM",
    iv: iv.toString("base64"),
    tag: cipher.getAuthTag().toString("base64"),
    data: data.toString("base64"),
  });
}

export function decrypt(key: Buffer, envelope: string): Buffer {
  const e = JSON.parse(envelope) as { v: number; iv: string; tag: string; data: string };
  const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(e.iv, "base64"));
  decipher.setAAD(AAD);
  decipher.setAuthTag(Buffer.from(e.tag, "base64"));
  return Buffer.concat([decipher.update(Buffer.from(e.data, "base64")), decipher.final()]);
}

export interface FileTokenStoreOptions {
  /** Folder beside the store; the files go in its `.entra-connector` subfolder. */
  stateDir: string;
  /** ENTRA_CONNECTOR_KEY's value, if set. */
  connectorKey?: string | undefined;
}

export function fileTokenStore(options: FileTokenStoreOptions): TokenStore {
  const dir = join(options.stateDir, ".entra-connector");
  const path = join(dir, "tokens.json.enc");
  const explicitKey = parseConnectorKey(options.connectorKey);
  let key: Promise<Buffer> | undefined;
  // Read-modify-write is serialised within the process so concurrent saves do not lose each other.
  let queue: Promise<unknown> = Promise.resolve();

  const unusable = (err: unknown) =>
    createError(
      "CONFIG_INVALID",
      {
        field: "ENTRA_STORE",
        problem: `the token store folder ${dir} cannot be used (${(err as NodeJS.ErrnoException).code ?? "error"}); point ENTRA_STORE at a writable folder`,
      },
      { cause: err },
    );

  const getKey = () => {
    key ??= (async () => {
      await mkdir(dir, { recursive: true, mode: 0o700 }).catch((err: unknown) => {
        throw unusable(err);
      });
      return explicitKey ?? keyFromFile(join(dir, "key"));
    })();
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
      return JSON.parse(decrypt(await getKey(), envelope).toString("utf8")) as Record<string, StoredToken>;
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
      await writeFile(tmp, encrypt(k, Buffer.from(JSON.stringify(all))), { mode: 0o600 });
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
