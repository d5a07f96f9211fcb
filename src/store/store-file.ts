/**
 * The store's file as the file system sees it. Which file a store has open is recorded by device and
 * inode when it is opened, so a file deleted or replaced under a long-running process (a restore, a
 * cleanup script) is noticed: SQLite would go on writing to the unlinked file, which no later
 * process reads, while a second process writes a new store at the same path.
 */
import { accessSync, closeSync, constants, existsSync, openSync, statSync } from "node:fs";
import { dirname } from "node:path";
import { StoreError } from "./errors.ts";

export interface FileIdentity {
  dev: number;
  ino: number;
}

/** Locations that are no file of their own: SQLite's in-memory and temporary databases. */
function inMemory(path: string): boolean {
  return path === "" || path === ":memory:";
}

/** The identity of the file at `path` now (undefined for an in-memory store or a missing file). */
export function fileIdentity(path: string): FileIdentity | undefined {
  if (inMemory(path)) return undefined;
  const stats = statSync(path, { throwIfNoEntry: false });
  return stats ? { dev: stats.dev, ino: stats.ino } : undefined;
}

/**
 * Throws STORE_REPLACED when the file at `path` is not `opened` any more (deleted, or another file
 * put in its place). No-op for an in-memory store.
 */
export function checkFileIdentity(path: string, opened: FileIdentity | undefined): void {
  if (opened === undefined) return;
  const now = fileIdentity(path);
  if (now?.dev === opened.dev && now.ino === opened.ino) return;
  throw new StoreError("STORE_REPLACED", {
    location: path,
    what: now ? "replaced by another file" : "deleted",
  });
}

/**
 * Creates the store's file readable and writable by its owner only (0600) when it does not exist yet,
 * before SQLite opens it: SQLite gives the -wal and -shm files the database file's permissions, so
 * they follow. An existing file keeps the mode it has.
 */
export function createPrivateFile(path: string): void {
  if (inMemory(path)) return;
  try {
    closeSync(openSync(path, "wx", 0o600));
  } catch {
    // It exists (it stays as it is), or cannot be created (a missing folder): SQLite reports that.
  }
}

/**
 * Throws STORE_READ_ONLY when this user may not write the store's file, or its folder (where SQLite
 * keeps the -wal and -shm files), so a sync fails at once with the fix rather than at its first write.
 */
export function checkWritable(path: string): void {
  if (inMemory(path)) return;
  const folder = dirname(path);
  for (const [target, reason] of [
    [path, "this user may not write the file"],
    [folder, `this user may not create files in its folder ${folder}`],
  ] as const) {
    if (!existsSync(target)) continue;
    try {
      accessSync(target, constants.W_OK);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new StoreError("STORE_READ_ONLY", {
        location: path,
        reason: code === "EROFS" ? "it is on a read-only file system" : reason,
      });
    }
  }
}
