import type { DirectoryObject } from "./resolve.ts";

/**
 * Only the properties whose value differs from the object's current one: what an update PATCHes, so
 * an update that changes nothing sends nothing and reports `changed: false`.
 */
export function changedProperties(
  current: DirectoryObject,
  wanted: Record<string, unknown>,
): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(wanted).filter(
      ([k, v]) => v !== undefined && JSON.stringify(current[k] ?? null) !== JSON.stringify(v),
    ),
  );
}
