/**
 * Dotted attribute paths (`name.givenName`) as SCIM uses them: a mapping names target attributes this way
 * and a record is a nested object.
 */

type Bag = Record<string, unknown>;

function isBag(value: unknown): value is Bag {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The value at `path`, or undefined when any step along it is missing or not an object. */
export function getPath(record: Bag, path: string): unknown {
  let current: unknown = record;
  for (const segment of path.split(".")) {
    if (!isBag(current)) return undefined;
    current = current[segment];
  }
  return current;
}

/** Sets `path` in place, creating the objects along it; a non-object in the way is replaced. */
export function setPath(record: Bag, path: string, value: unknown): Bag {
  const segments = path.split(".");
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
