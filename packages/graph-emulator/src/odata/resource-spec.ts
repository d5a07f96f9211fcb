/**
 * The shape of a resource's OData capability table (see resources.ts for the tables themselves):
 * property names and types, the default property set in Graph's order, which filter operators each
 * property takes in default mode and which only in advanced mode (ConsistencyLevel: eventual +
 * $count=true), sortable and searchable properties, and the query options a resource accepts.
 */

export type EdmType = "String" | "Boolean" | "Int32" | "Int64" | "Guid" | "DateTimeOffset" | "Complex";

/**
 * A filter use the capability tables grant or refuse. "null" is a comparison with the null literal;
 * for a collection property the operator is the one applied inside its any()/all() lambda.
 */
export type FilterOp =
  | "eq"
  | "ne"
  | "not"
  | "in"
  | "gt"
  | "ge"
  | "lt"
  | "le"
  | "startsWith"
  | "endsWith"
  | "contains"
  | "null"
  /** `collection/$count` compared with a number (advanced queries only). */
  | "count";

export interface FilterCaps {
  /** Allowed with no special header. */
  readonly default: ReadonlySet<FilterOp>;
  /** Allowed in an advanced query (a superset of `default`). */
  readonly advanced: ReadonlySet<FilterOp>;
}

/** tokenized: word-prefix match (displayName, description); prefix: whole-value prefix match. */
export type SearchMode = "tokenized" | "prefix";

export interface PropertySpec {
  readonly type: EdmType;
  readonly collection: boolean;
  /** Members of a complex type, by name. */
  readonly properties?: Readonly<Record<string, PropertySpec>>;
  readonly filter: FilterCaps;
  readonly search?: SearchMode;
}

export type QueryOptionName =
  | "$select"
  | "$filter"
  | "$orderby"
  | "$top"
  | "$count"
  | "$search"
  | "$expand"
  | "$skiptoken";

export interface ResourceSpec {
  /** Entity set name as it appears in @odata.context, e.g. "users". */
  readonly name: string;
  /** Qualified entity type, e.g. "microsoft.graph.user" (used in OData parser messages). */
  readonly entityType: string;
  /** The directory's own name for the type, e.g. "User" (used in Request_UnsupportedQuery messages). */
  readonly label: string;
  readonly properties: Readonly<Record<string, PropertySpec>>;
  /** Properties returned without $select, in the order Graph sends them. */
  readonly defaultSelect: readonly string[];
  /** Where `id` goes in a projected object: users put it last, most other types first (§13). */
  readonly idPosition: "first" | "last" | "asListed";
  readonly options: ReadonlySet<QueryOptionName>;
  readonly sortable: { readonly default: ReadonlySet<string>; readonly advanced: ReadonlySet<string> };
  readonly expandable: ReadonlySet<string>;
  readonly pageSize: { readonly default: number; readonly max: number };
}

const NO_OPS: FilterCaps = { default: new Set(), advanced: new Set() };

/**
 * Capabilities from a compact "default ops | advanced-only ops" string, e.g. "eq in startsWith | ne not null".
 * @example caps("eq | ne not").advanced.has("eq") === true
 */
export function caps(spec: string): FilterCaps {
  const [base = "", extra = ""] = spec.split("|");
  const words = (s: string): FilterOp[] => s.split(/\s+/).filter(Boolean) as FilterOp[];
  const defaults = words(base);
  return { default: new Set(defaults), advanced: new Set([...defaults, ...words(extra)]) };
}

interface PropOptions {
  readonly f?: string;
  readonly search?: SearchMode;
  readonly properties?: Readonly<Record<string, PropertySpec>>;
}

/** A single-valued property. */
export function one(type: EdmType, options: PropOptions = {}): PropertySpec {
  return build(type, false, options);
}

/** A collection-valued property. */
export function many(type: EdmType, options: PropOptions = {}): PropertySpec {
  return build(type, true, options);
}

function build(type: EdmType, collection: boolean, options: PropOptions): PropertySpec {
  const spec: PropertySpec = {
    type,
    collection,
    filter: options.f ? caps(options.f) : NO_OPS,
    ...(options.properties ? { properties: options.properties } : {}),
    ...(options.search ? { search: options.search } : {}),
  };
  return spec;
}

/** Looks a slash path of canonical names ("onPremisesExtensionAttributes/extensionAttribute1") up in a property table. */
export function lookupPath(
  properties: Readonly<Record<string, PropertySpec>>,
  segments: readonly string[],
): PropertySpec | undefined {
  const resolved = resolvePath(properties, segments);
  return "spec" in resolved && resolved.names.every((name, i) => name === segments[i])
    ? resolved.spec
    : undefined;
}

const lowerIndex = new WeakMap<object, Map<string, string>>();

/**
 * The canonical spelling of a property name. Graph matches property names case-insensitively
 * (`AccountEnabled eq true` works), while stored objects use the canonical camelCase keys.
 */
export function propertyName(
  properties: Readonly<Record<string, PropertySpec>>,
  name: string,
): string | undefined {
  if (Object.hasOwn(properties, name)) return name;
  let index = lowerIndex.get(properties);
  if (!index) {
    index = new Map(Object.keys(properties).map((key) => [key.toLowerCase(), key]));
    lowerIndex.set(properties, index);
  }
  return index.get(name.toLowerCase());
}

export type ResolvedPath =
  | { readonly spec: PropertySpec; readonly names: readonly string[] }
  | { readonly missing: string };

/** Resolves a slash path to its property and canonical names, or names the first segment that does not exist. */
export function resolvePath(
  properties: Readonly<Record<string, PropertySpec>>,
  segments: readonly string[],
): ResolvedPath {
  let table: Readonly<Record<string, PropertySpec>> | undefined = properties;
  let found: PropertySpec | undefined;
  const names: string[] = [];
  for (const segment of segments) {
    const name: string | undefined = table ? propertyName(table, segment) : undefined;
    if (!table || name === undefined) return { missing: segment };
    found = table[name]!;
    names.push(name);
    table = found.properties;
  }
  return found ? { spec: found, names } : { missing: "" };
}
