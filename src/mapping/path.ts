/**
 * Attribute paths as SCIM uses them: a mapping names target attributes `name.givenName`, and a record is a
 * nested object. A schema URN is one step, so extension attributes are addressed the SCIM way,
 * `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department`, and the URN's own `2.0` is
 * never split.
 */

export const SCIM_ENTERPRISE_USER_SCHEMA = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

type Bag = Record<string, unknown>;

function isBag(value: unknown): value is Bag {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * The steps of `path`. A URN ends at its last `:` (attribute names hold no colon); the enterprise URN is
 * also accepted followed by `.`, the form a nested record's keys produce.
 */
export function pathSegments(path: string): string[] {
  if (!path.startsWith("urn:")) return path.split(".");
  for (const sep of [".", ":"]) {
    if (path.startsWith(SCIM_ENTERPRISE_USER_SCHEMA + sep))
      return [SCIM_ENTERPRISE_USER_SCHEMA, ...path.slice(SCIM_ENTERPRISE_USER_SCHEMA.length + 1).split(".")];
  }
  const cut = path.lastIndexOf(":");
  return [path.slice(0, cut), ...path.slice(cut + 1).split(".")];
}

/** The value at `path`, or undefined when any step along it is missing or not an object. */
export function getPath(record: Bag, path: string): unknown {
  let current: unknown = record;
  for (const segment of pathSegments(path)) {
    if (!isBag(current)) return undefined;
    current = current[segment];
  }
  return current;
}

/** Sets `path` in place, creating the objects along it; a non-object in the way is replaced. */
export function setPath(record: Bag, path: string, value: unknown): Bag {
  const segments = pathSegments(path);
  const last = segments.pop()!;
  let current = record;
  for (const segment of segments) {
    const next = current[segment];
    if (!isBag(next)) current[segment] = {};
    current = current[segment] as Bag;
  }
  current[last] = value;
  return record;
}
