import { existsSync } from "node:fs";
import { StoreError } from "./errors.ts";
import { isPostgresUrl } from "./postgres/database.ts";
import { PostgresStore } from "./postgres/store.ts";
import { SqliteStore } from "./sqlite/store.ts";
import { ThreadedStore } from "./thread/threaded-store.ts";
import type { Store } from "./types.ts";

/**
 * Opens the store at a file path (`./x.db`, `sqlite:./x.db`, `file:./x.db`, `:memory:`) or a
 * PostgreSQL URL (`postgres://user@host:5432/database?schema=name`, src/store/postgres). `mustExist` is for read-only commands: a missing file is an error, not a new empty store;
 * `readOnly` opens a connection that never writes, which works on a file or folder this user may not
 * write (any write through it fails).
 * `thread` runs the store on its own thread (src/store/thread): for long write-heavy jobs (sync, watch)
 * whose event loop must stay free to read Graph; the same contract, one message per call.
 *
 * @example const store = await openStore(loadConfig().store);
 */
export async function openStore(
  urlOrPath: string,
  options: { mustExist?: boolean; thread?: boolean; readOnly?: boolean } = {},
): Promise<Store> {
  if (typeof urlOrPath !== "string" || urlOrPath.trim() === "") {
    throw new StoreError("STORE_LOCATION_INVALID", { location: '""', reason: "the location is empty" });
  }
  // PostgreSQL does its work in the server: no thread of its own is needed to keep this one free.
  if (isPostgresUrl(urlOrPath)) return PostgresStore.open(urlOrPath, options);
  // Only the scheme is echoed: a database URL may carry a password.
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(urlOrPath);
  if (scheme) throw new StoreError("STORE_UNSUPPORTED", { scheme: `${scheme[1]}://…` });
  const path = urlOrPath.replace(/^(sqlite|file):/i, "");
  if (options.mustExist && path !== ":memory:" && !existsSync(path)) {
    throw new StoreError("STORE_NOT_FOUND", { location: path });
  }
  return options.thread
    ? ThreadedStore.open(path)
    : new SqliteStore(path, undefined, { readOnly: options.readOnly === true });
}
