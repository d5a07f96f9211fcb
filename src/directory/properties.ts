/**
 * Property sets the connector asks Graph for, and the normalisation that makes a delta answer and a
 * list answer of the same object compare equal: delta leaves out null scalars and empty collections
 * (docs/graph.md#response-shapes), lists send them as `null` / `[]`. Without this every switch between the
 * two would look like a property change.
 */
import { createError } from "../errors.ts";

export interface PropertySpec {
  name: string;
  /** Collections come back as `[]` when empty, scalars as `null`. */
  collection?: boolean;
}

/** A Graph object as stored: `id` plus the selected properties, each present (null / [] when unset). */
export type StoredObject = { id: string } & Record<string, unknown>;

/** The `$select` value for a property set (`id` always first). */
export function selectParam(props: readonly PropertySpec[], extra: readonly string[] = []): string {
  const names = ["id", ...props.map((p) => p.name).filter((n) => n !== "id"), ...extra];
  return [...new Set(names)].join(",");
}

/** Keeps exactly `id` and the selected properties; absent ones become null / []. Annotations are dropped. */
export function normalise(raw: Record<string, unknown>, props: readonly PropertySpec[]): StoredObject {
  const id = raw["id"];
  if (typeof id !== "string" || id === "") throw new TypeError("Graph object without an id");
  const out: StoredObject = { id };
  for (const p of props) {
    if (p.name === "id") continue;
    const v = raw[p.name];
    out[p.name] = v === undefined || v === null ? (p.collection ? [] : null) : v;
  }
  return out;
}

/**
 * Narrows a default property set to the names a user asked for (`--properties`), keeping the ones the
 * connector itself depends on (`required`). Unknown names are an error naming the field and the choices.
 */
export function chooseProperties(
  field: string,
  all: readonly PropertySpec[],
  requested: readonly string[] | undefined,
  required: readonly string[],
): PropertySpec[] {
  if (!requested || requested.length === 0) return [...all];
  const known = new Map(all.map((p) => [p.name, p]));
  const unknown = requested.filter((n) => !known.has(n) && n !== "id");
  if (unknown.length > 0) {
    throw createError("CONFIG_INVALID", {
      field,
      problem: `unknown propert${unknown.length === 1 ? "y" : "ies"} ${unknown.join(", ")}; choose from ${[...known.keys()].join(", ")}`,
    });
  }
  const wanted = new Set([...requested, ...required]);
  return all.filter((p) => wanted.has(p.name));
}

/** `#microsoft.graph.user` → `user`; unknown or missing → `directoryObject`. */
export function objectType(raw: Record<string, unknown>): string {
  const t = raw["@odata.type"];
  if (typeof t !== "string") return "directoryObject";
  return t.startsWith("#microsoft.graph.") ? t.slice("#microsoft.graph.".length) : t;
}
