/**
 * What the store-query commands (resources, grants, access, diff, runs, export) share: opening the
 * store read-only-in-spirit (a missing store is an error, never a new empty file), backpressure-aware
 * writing, and a couple of formatting helpers. None of them calls Graph.
 */
import { once } from "node:events";
import {
  type ConfigFlags,
  createError,
  displayWidth,
  EXIT,
  type Grant,
  loadSettings,
  openStore,
  padDisplay,
  RESOURCE_KINDS,
  type ResourceKind,
  type Store,
  terminalSafe,
  terminalSafeJson,
} from "../index.ts";
import type { CommandIO } from "./command.ts";
import { globalFlags } from "./field-options.ts";

export interface StoreOptions extends ConfigFlags {
  json?: boolean;
}

/** Runs `work` with the store the configuration names (flag, variable or config file), closing it afterwards. */
export async function withStore(
  options: StoreOptions,
  io: CommandIO,
  work: (store: Store) => Promise<number>,
): Promise<number> {
  const store = await openStore(loadSettings({ env: io.env, flags: globalFlags(options) }).store, {
    mustExist: true,
    readOnly: true,
  });
  // Output errors surface through write(); without a listener a closed pipe would crash the process.
  const surfaceThroughWrite = (): void => {};
  io.stdout.on("error", surfaceThroughWrite);
  try {
    return await work(store);
  } catch (error) {
    // The reader went away (`… | head`): not a failure of the command.
    if ((error as NodeJS.ErrnoException).code === "EPIPE") return EXIT.ok;
    throw error;
  } finally {
    io.stdout.off("error", surfaceThroughWrite);
    await store.close();
  }
}

/** Writes, waiting for the stream to drain when its buffer is full, so a large export stays flat in memory. */
export async function write(out: NodeJS.WritableStream, text: string): Promise<void> {
  const errored = (out as { errored?: Error | null }).errored;
  if (errored) throw errored;
  // `once` rejects if the stream errors while we wait, so a failed file never hangs the export.
  if (!out.write(text)) await once(out, "drain");
}

/** Writes items as one JSON array, one item per line, without holding them all. */
export async function writeJsonArray(
  out: NodeJS.WritableStream,
  items: AsyncIterable<unknown> | Iterable<unknown>,
): Promise<void> {
  let first = true;
  for await (const item of items) {
    await write(out, `${first ? "[\n" : ",\n"}${terminalSafeJson(item)}`);
    first = false;
  }
  await write(out, first ? "[]\n" : "\n]\n");
}

/** `user`, `users`, `User` → "user"; anything else is a usage error naming the flag. */
export function parseKind(value: unknown, flag: string): ResourceKind {
  const kind = String(value ?? "")
    .toLowerCase()
    .replace(/s$/, "");
  if (!RESOURCE_KINDS.includes(kind as ResourceKind)) {
    throw createError("USAGE", {
      detail: `${flag} must be one of ${RESOURCE_KINDS.join(", ")} (got "${value ?? ""}")`,
    });
  }
  return kind as ResourceKind;
}

/** Fixed-width columns for human output, control characters escaped; the last column is not padded. */
export function columns(values: string[], widths: number[]): string {
  return values
    .map((v, i) => {
      const safe = terminalSafe(v);
      const width = widths[i];
      return width === undefined || i === values.length - 1 ? safe : padDisplay(safe, width);
    })
    .join("  ")
    .trimEnd();
}

/** Rows as columns each as wide as its widest cell on a terminal (wide characters count two). */
export function table(rows: string[][]): string[] {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, displayWidth(terminalSafe(cell)));
    });
  }
  return rows.map((row) => columns(row, widths));
}

/** An entitlement as people read it: an app role by its name when the store knows it, else its id. */
export function entitlementLabel(grant: Grant): string {
  return grant.appRoleName === undefined ? grant.entitlement : `app:role:${grant.appRoleName}`;
}

/** A display name for an object's data, falling back through the names Graph objects carry. */
export function nameOf(data: Record<string, unknown> | undefined, fallback: string): string {
  for (const key of ["displayName", "userPrincipalName", "skuPartNumber", "mail"]) {
    const value = data?.[key];
    if (typeof value === "string" && value !== "") return value;
  }
  return fallback;
}
