import type { PropertyChange } from "./types.ts";

/** Structural equality of JSON values (objects compared key by key, arrays in order). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, i) => jsonEqual(item, b[i]));
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const keys = Object.keys(ao);
  if (keys.length !== Object.keys(bo).length) return false;
  return keys.every((k) => Object.hasOwn(bo, k) && jsonEqual(ao[k], bo[k]));
}

/**
 * Top-level property changes from `before` to `after`. A property missing on one side counts as
 * null, because delta answers leave null scalars and empty collections out (docs/graph.md#response-shapes):
 * absent and null must not look like a change.
 */
export function propertyChanges(
  before: Record<string, unknown>,
  after: Record<string, unknown>,
): PropertyChange[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  const changes: PropertyChange[] = [];
  for (const property of [...keys].sort()) {
    const old = normalise(before[property]);
    const now = normalise(after[property]);
    if (!jsonEqual(old, now)) changes.push({ property, old, new: now });
  }
  return changes;
}

function normalise(value: unknown): unknown {
  if (value === undefined) return null;
  if (Array.isArray(value) && value.length === 0) return null;
  return value;
}

/**
 * Keys whose value is a secret: the name ends in a secret word (password, clientSecret, accessToken,
 * passwordProfile.password at any depth). A name that only contains one, such as
 * forceChangePasswordNextSignIn, is not: hiding it would hide what the write did.
 */
const SECRET_KEY =
  /(secret|password|passwd|token|assertion|credentials?|privatekey|private_key|apikey|api_key|authorization)$/i;

/** A deep copy with the values of secret keys replaced, for audit records and printed requests. */
export function maskSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(maskSecrets);
  if (typeof value !== "object" || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] = SECRET_KEY.test(key) && item !== null && item !== undefined ? "[redacted]" : maskSecrets(item);
  }
  return out;
}
