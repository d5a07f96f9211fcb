import { createError } from "../errors.ts";

/**
 * A `$filter` expression built only from checked parts, so user input cannot change the query:
 * property names must be plain identifiers (optionally a whitelist), strings are single-quoted with
 * quotes doubled (`'O''Brien'`, docs/graph.md#query-options), GUIDs are validated, numbers must be finite.
 *
 * @example
 *   const f = and(eq("department", userInput), startsWith("displayName", "Ann"));
 *   graph.pages(`/users?${filterParam(f)}`);
 */
export interface Filter {
  readonly expression: string;
}

export type Literal = string | number | boolean | null | Date | GuidLiteral;
interface GuidLiteral {
  readonly guid: string;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*(\/[A-Za-z_][A-Za-z0-9_]*)*$/;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const filter = (expression: string): Filter => ({ expression });

/** A GUID compared unquoted (e.g. `skuId eq 6fd2…`); throws unless `value` is a GUID. */
export function guid(value: string): GuidLiteral {
  if (!GUID.test(value))
    throw createError("FILTER_INVALID", { problem: `not a GUID: ${JSON.stringify(value)}` });
  return { guid: value.toLowerCase() };
}

/** A property path checked for syntax and, when given, against the allowed names. */
export function property(name: string, allowed?: readonly string[]): string {
  if (!IDENT.test(name))
    throw createError("FILTER_INVALID", { problem: `not a property name: ${JSON.stringify(name)}` });
  if (allowed && !allowed.includes(name)) {
    throw createError("FILTER_INVALID", {
      problem: `property ${name} cannot be filtered here; allowed: ${allowed.join(", ")}`,
    });
  }
  return name;
}

/** An OData literal: strings quoted with `'` doubled, GUIDs and dates bare, numbers finite. */
export function literal(value: Literal): string {
  if (value === null) return "null";
  if (typeof value === "string") {
    // A lone surrogate cannot be percent-encoded into the URL: refuse it here, not at send time.
    if (!value.isWellFormed())
      throw createError("FILTER_INVALID", { problem: "text contains a lone surrogate" });
    return `'${value.replaceAll("'", "''")}'`;
  }
  if (typeof value === "boolean") return value ? "true" : "false";
  if (typeof value === "number") {
    if (!Number.isFinite(value))
      throw createError("FILTER_INVALID", { problem: `not a finite number: ${value}` });
    return String(value);
  }
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw createError("FILTER_INVALID", { problem: "invalid date" });
    return value.toISOString();
  }
  return guid(value.guid).guid;
}

type Comparison = "eq" | "ne" | "gt" | "ge" | "lt" | "le";
const compare = (op: Comparison) => (name: string, value: Literal, allowed?: readonly string[]) =>
  filter(`${property(name, allowed)} ${op} ${literal(value)}`);

export const eq = compare("eq");
export const ne = compare("ne");
export const gt = compare("gt");
export const ge = compare("ge");
export const lt = compare("lt");
export const le = compare("le");

export function startsWith(name: string, value: string, allowed?: readonly string[]): Filter {
  return filter(`startsWith(${property(name, allowed)},${literal(value)})`);
}

/** Needs an advanced query (`advanced: true`) on Graph. */
export function endsWith(name: string, value: string, allowed?: readonly string[]): Filter {
  return filter(`endsWith(${property(name, allowed)},${literal(value)})`);
}

export function isIn(name: string, values: readonly Literal[], allowed?: readonly string[]): Filter {
  if (values.length === 0)
    throw createError("FILTER_INVALID", { problem: `${name} in (): the list is empty` });
  return filter(`${property(name, allowed)} in (${values.map(literal).join(",")})`);
}

/** `collection/any(x:x/prop eq value)`, e.g. assignedLicenses/any(x:x/skuId eq <guid>). */
export function any(collection: string, name: string, value: Literal): Filter {
  return filter(`${property(collection)}/any(x:x/${property(name)} eq ${literal(value)})`);
}

const join = (op: "and" | "or", parts: Filter[]): Filter => {
  if (parts.length === 0)
    throw createError("FILTER_INVALID", { problem: `${op}() needs at least one condition` });
  return parts.length === 1 ? parts[0]! : filter(parts.map((p) => `(${p.expression})`).join(` ${op} `));
};

export const and = (...parts: Filter[]): Filter => join("and", parts);
export const or = (...parts: Filter[]): Filter => join("or", parts);
export const not = (part: Filter): Filter => filter(`not (${part.expression})`);

/** `$filter=…` percent-encoded for a query string (`&`, `#`, `+` in values stay inside the literal). */
export function filterParam(f: Filter): string {
  return `$filter=${encodeURIComponent(f.expression)}`;
}
