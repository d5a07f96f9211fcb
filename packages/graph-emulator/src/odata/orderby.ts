/**
 * $orderby parsing and the comparator it compiles to. Whether a key is allowed in the current query
 * mode is checkQueryMode's call; this module only checks that the property exists.
 */
import { syntaxError, unknownProperty } from "./errors.ts";
import type { Obj } from "./filter-compile.ts";
import { propertyName, type ResourceSpec } from "./resource-spec.ts";

export interface OrderKey {
  readonly property: string;
  readonly descending: boolean;
}

/**
 * @example parseOrderBy("displayName desc, userPrincipalName", users)
 *   → [{ property: "displayName", descending: true }, { property: "userPrincipalName", descending: false }]
 */
export function parseOrderBy(raw: string, spec: ResourceSpec): OrderKey[] {
  const keys: OrderKey[] = [];
  let offset = 0;
  for (const part of raw.split(",")) {
    const words = part.trim().split(/\s+/);
    const [property = "", direction, extra] = words;
    const dir = direction?.toLowerCase();
    if (property === "" || extra !== undefined || (dir !== undefined && dir !== "asc" && dir !== "desc")) {
      throw syntaxError(offset + part.length - part.trimStart().length, raw);
    }
    const name = propertyName(spec.properties, property);
    if (name === undefined) throw unknownProperty(property, spec.entityType);
    keys.push({ property: name, descending: dir === "desc" });
    offset += part.length + 1;
  }
  return keys;
}

/**
 * A comparator for Array.prototype.sort. Strings compare case-insensitively; missing values sort
 * after present ones in ascending order; ties fall back to id so paging stays stable.
 */
export function compileComparator(keys: readonly OrderKey[]): (a: Obj, b: Obj) => number {
  const all = keys.some((key) => key.property === "id")
    ? keys
    : [...keys, { property: "id", descending: false }];
  return (a, b) => {
    for (const key of all) {
      const cmp = compareValues(a[key.property], b[key.property]);
      if (cmp !== 0) return key.descending ? -cmp : cmp;
    }
    return 0;
  };
}

function compareValues(x: unknown, y: unknown): number {
  const xMissing = x === null || x === undefined;
  const yMissing = y === null || y === undefined;
  if (xMissing || yMissing) return xMissing === yMissing ? 0 : xMissing ? 1 : -1;
  if (typeof x === "string" && typeof y === "string") {
    const fx = x.toLowerCase();
    const fy = y.toLowerCase();
    return fx < fy ? -1 : fx > fy ? 1 : 0;
  }
  if (typeof x === "number" && typeof y === "number") return x - y;
  if (typeof x === "boolean" && typeof y === "boolean") return Number(x) - Number(y);
  return 0;
}
