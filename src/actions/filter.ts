/**
 * The OData `$filter` pieces actions build. Values are always quoted and escaped here (a single quote
 * is doubled, graph-behaviour.md §8) and property names must be plain identifiers, so user input can
 * never change the shape of a query.
 */
import { createError } from "../errors.ts";

const PROPERTY = /^[A-Za-z][A-Za-z0-9]*(\/[A-Za-z][A-Za-z0-9]*)?$/;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function property(name: string): string {
  if (!PROPERTY.test(name))
    throw createError("FILTER_INVALID", { problem: `not a property name: ${JSON.stringify(name)}` });
  return name;
}

/** A string literal: quoted, with embedded quotes doubled. */
export function literal(value: string | boolean): string {
  return typeof value === "boolean" ? String(value) : `'${value.replaceAll("'", "''")}'`;
}

export function eq(name: string, value: string | boolean): string {
  return `${property(name)} eq ${literal(value)}`;
}

export function startsWith(name: string, value: string): string {
  return `startsWith(${property(name)},${literal(value)})`;
}

/** `assignedLicenses/any(x:x/skuId eq <guid>)`: the SKU must be a GUID (it is not quoted in OData). */
export function hasLicense(skuId: string): string {
  if (!GUID.test(skuId))
    throw createError("FILTER_INVALID", { problem: `not a SKU id: ${JSON.stringify(skuId)}` });
  return `assignedLicenses/any(x:x/skuId eq ${skuId.toLowerCase()})`;
}

export function or(...clauses: string[]): string {
  return clauses.length === 1 ? clauses[0]! : clauses.map((c) => `(${c})`).join(" or ");
}

export function and(...clauses: string[]): string {
  return clauses.length === 1 ? clauses[0]! : clauses.map((c) => `(${c})`).join(" and ");
}

/**
 * A `$search` expression over several properties: `"displayName:ann" OR "mail:ann"`. Inside a clause
 * a double quote or backslash is escaped with a backslash, so the text cannot close the clause.
 */
export function searchAny(properties: readonly string[], text: string): string {
  const escaped = text.replace(/[\\"]/g, (c) => `\\${c}`);
  return properties.map((p) => `"${property(p)}:${escaped}"`).join(" OR ");
}
