/**
 * $select parsing and the projection of stored objects into Graph's response shape (§13): the default
 * property set when nothing is selected; `id` placed where the type's Graph responses put it; unset
 * scalars as null and unset collections as [] — except in delta answers, which leave both out.
 */
import { badRequest, unknownSelectProperty } from "./errors.ts";
import type { Obj } from "./filter-compile.ts";
import { propertyName, type ResourceSpec } from "./resource-spec.ts";

/**
 * Parses a $select list, keeping the client's order (Graph echoes it in @odata.context).
 * @example parseSelect("displayName,id", users) → ["displayName", "id"]
 */
export function parseSelect(raw: string, spec: ResourceSpec): string[] {
  const names: string[] = [];
  for (const part of raw.split(",")) {
    const written = part.trim();
    if (written === "") throw badRequest(`Syntax error at position ${raw.length} in '${raw}'.`);
    const name = propertyName(spec.properties, written);
    if (name === undefined) throw unknownSelectProperty(written, spec.entityType);
    if (!names.includes(name)) names.push(name);
  }
  return names;
}

export interface ProjectionOptions {
  /** Delta answers omit null scalars and empty collections. */
  readonly delta?: boolean;
  /** Items of directoryObject collections begin with "@odata.type", then id. */
  readonly odataType?: boolean;
}

export type Projection = (obj: Obj) => Record<string, unknown>;

/**
 * Builds, once per request, the function that shapes each stored object for the response.
 * The returned object shares nested values with the stored one: serialise it, don't mutate it.
 * @example compileProjection(users, ["id", "displayName"])({ id: "1", displayName: "Ann" }) → { displayName: "Ann", id: "1" }
 */
export function compileProjection(
  spec: ResourceSpec,
  select: readonly string[] | undefined,
  options: ProjectionOptions = {},
): Projection {
  const keys = orderKeys(spec, select ?? spec.defaultSelect, options.odataType === true);
  const collections = new Set(keys.filter((key) => spec.properties[key]?.collection));
  const odataType = options.odataType ? `#${spec.entityType}` : undefined;
  if (options.delta) {
    return (obj) => {
      const out: Record<string, unknown> = {};
      if (odataType) out["@odata.type"] = odataType;
      for (const key of keys) {
        const value = obj[key];
        if (value === null || value === undefined) continue;
        if (Array.isArray(value) && value.length === 0) continue;
        out[key] = value;
      }
      return out;
    };
  }
  return (obj) => {
    const out: Record<string, unknown> = {};
    if (odataType) out["@odata.type"] = odataType;
    for (const key of keys) {
      const value = obj[key];
      out[key] = value === undefined || value === null ? (collections.has(key) ? [] : null) : value;
    }
    return out;
  };
}

function orderKeys(spec: ResourceSpec, wanted: readonly string[], idFirst: boolean): string[] {
  if (!wanted.includes("id") || (spec.idPosition === "asListed" && !idFirst)) return [...wanted];
  const rest = wanted.filter((key) => key !== "id");
  return idFirst || spec.idPosition === "first" ? ["id", ...rest] : [...rest, "id"];
}

/**
 * The @odata.context suffix for a $select: Graph echoes the list in the order the client sent it.
 * @example `${base}/$metadata#users${contextSelect(["displayName", "id"])}` → "…#users(displayName,id)"
 */
export function contextSelect(select: readonly string[] | undefined): string {
  return select && select.length > 0 ? `(${select.join(",")})` : "";
}
