/**
 * Secrets at rest: one 32-byte key per state folder and AES-256-GCM envelopes. The token store and
 * the trigger subscriptions (webhook secrets) both seal with it, each under its own label (the
 * GCM additional data), so an envelope cannot be moved from one use to the other.
 *
 * The key comes from ENTRA_CONNECTOR_KEY (32 bytes as base64 or hex) or a generated key file with
 * 0600 permissions in `<state dir>/.entra-connector/key`; a key file open to other users is refused.
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { mkdir, open as openFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createError, isConnectorError } from "../errors.ts";

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

/** The folder holding the key file (and the token store): `<state dir>/.entra-connector`. */
export function secretsDir(stateDir: string): string {
  return join(stateDir, ".entra-connector");
}

export interface ConnectorKeyOptions {
  /** Folder beside the store; the key file goes in its `.entra-connector` subfolder. */
  stateDir: string;
  /** ENTRA_CONNECTOR_KEY's value, if set. */
  connectorKey?: string | undefined;
}

/**
 * The key: ENTRA_CONNECTOR_KEY when set, otherwise the key file (created on first use). Creates the
 * `.entra-connector` folder (0700) either way; a folder that cannot be used is a CONFIG_INVALID
 * naming ENTRA_STORE.
 */
export async function loadConnectorKey(options: ConnectorKeyOptions): Promise<Buffer> {
  const explicit = parseConnectorKey(options.connectorKey);
  const dir = secretsDir(options.stateDir);
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    return explicit ?? (await keyFromFile(join(dir, "key")));
  } catch (err) {
    if (isConnectorError(err)) throw err;
    throw unusableFolder(dir, err);
  }
}

/** A state folder that cannot be created, read or written: the fix is another ENTRA_STORE. */
export function unusableFolder(dir: string, err: unknown): Error {
  return createError(
    "CONFIG_INVALID",
    {
      field: "ENTRA_STORE",
      problem: `the folder ${dir} cannot be used (${(err as NodeJS.ErrnoException).code ?? "error"}); point ENTRA_STORE at a writable folder`,
    },
    { cause: err },
  );
}

/**
 * A key file others may read (or swap) protects nothing: refuse it rather than fix its mode behind
 * the user's back, since it may already have been copied.
 */
function looseKeyFile(file: string, mode: number): Error {
  return createError("CONFIG_INVALID", {
    field: "ENTRA_STORE",
    problem: `the key file ${file} is open to other users (mode ${(mode & 0o777).toString(8).padStart(4, "0")}); restrict it with \`chmod 600 ${file}\`, or set ENTRA_CONNECTOR_KEY instead`,
  });
}

async function readKeyFile(file: string): Promise<string> {
  // One handle for the mode check and the read, so the file checked is the file read.
  const handle = await openFile(file, "r");
  try {
    const { mode } = await handle.stat();
    if (process.platform !== "win32" && (mode & 0o077) !== 0) throw looseKeyFile(file, mode);
    return await handle.readFile("utf8");
  } finally {
    await handle.close();
  }
}

async function keyFromFile(file: string): Promise<Buffer> {
  try {
    const k = Buffer.from((await readKeyFile(file)).trim(), "base64");
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

/** Encrypts `plain` into a JSON envelope; `label` binds it to one use (e.g. "entra-connector/tokens/v1"). */
export function seal(key: Buffer, plain: Buffer, label: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(Buffer.from(label));
  const data = Buffer.concat([cipher.update(plain), cipher.final()]);
  return JSON.stringify({
    v: 1,
    alg: "A256GCM",
    iv: iv.toString("base64"),
    tag: cipher.getAuthTag().toString("base64"),
    data: data.toString("base64"),
  });
}

/** Decrypts an envelope from `seal` with the same key and label; throws on any mismatch or tampering. */
export function open(key: Buffer, envelope: string, label: string): Buffer {
  const e = JSON.parse(envelope) as { v: number; iv: string; tag: string; data: string };
  const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(e.iv, "base64"));
  decipher.setAAD(Buffer.from(label));
  decipher.setAuthTag(Buffer.from(e.tag, "base64"));
  return Buffer.concat([decipher.update(Buffer.from(e.data, "base64")), decipher.final()]);
}
