/**
 * Reads a request's OData system query options into one parsed, validated and compiled structure.
 * Everything that depends only on the URL happens here; the rules that also depend on the
 * ConsistencyLevel header (default vs advanced queries) are in query-mode.ts.
 */
import { badRequest, invalidPageSize, optionNotAllowed, skipNotSupported } from "./errors.ts";
import { type ExpandOption, parseExpand } from "./expand.ts";
import { type CompiledFilter, compileFilter, type Obj } from "./filter-compile.ts";
import { compileComparator, type OrderKey, parseOrderBy } from "./orderby.ts";
import type { QueryOptionName, ResourceSpec } from "./resource-spec.ts";
import { type CompiledSearch, compileSearch } from "./search.ts";
import { parseSelect } from "./select.ts";

export interface ParsedQuery {
  /** $select in the client's order; undefined = the default property set. */
  readonly select?: readonly string[];
  readonly filter?: CompiledFilter;
  readonly orderby?: { readonly keys: readonly OrderKey[]; readonly compare: (a: Obj, b: Obj) => number };
  readonly top?: number;
  /** $count as sent; whether it takes effect depends on the header (checkQueryMode). */
  readonly count?: boolean;
  readonly search?: CompiledSearch;
  readonly expand?: ExpandOption;
  /** Opaque; decode with decodeSkipToken. */
  readonly skiptoken?: string;
  /** Delta routes' own token, passed through untouched. */
  readonly deltatoken?: string;
}

// The option names Graph's parser would print in "Query option 'X' is not allowed".
const DISPLAY: Record<QueryOptionName, string> = {
  $select: "Select",
  $filter: "Filter",
  $orderby: "OrderBy",
  $top: "Top",
  $count: "Count",
  $search: "Search",
  $expand: "Expand",
  $skiptoken: "SkipToken",
};
const KNOWN = new Set<string>([
  ...Object.keys(DISPLAY),
  "$deltatoken",
  "$skip",
  "$format",
  "$apply",
  "$levels",
]);

/**
 * Parses $select, $filter, $orderby, $top, $count, $search, $expand, $skiptoken (and passes
 * $deltatoken through) for a resource. Parameters without a leading `$` are left to the route.
 * Throws ODataError with Graph's status, code and message for anything Graph refuses.
 * @example parseQueryOptions(new URLSearchParams("$top=5&$select=id"), users) → { top: 5, select: ["id"] }
 */
export function parseQueryOptions(params: URLSearchParams, resource: ResourceSpec): ParsedQuery {
  const raw = new Map<string, string>();
  for (const [key, value] of params) {
    if (!key.startsWith("$")) continue;
    const name = key.toLowerCase();
    if (!KNOWN.has(name)) throw badRequest(`The query parameter '${key}' is not supported.`);
    if (raw.has(name)) {
      throw badRequest(
        `Query option '${name}' was specified more than once, but it must be specified at most once.`,
      );
    }
    raw.set(name, value);
  }
  if (raw.has("$skip")) throw skipNotSupported();
  for (const name of ["$format", "$apply", "$levels"]) {
    if (raw.has(name)) throw badRequest(`The query parameter '${name}' is not supported.`);
  }
  for (const name of Object.keys(DISPLAY) as QueryOptionName[]) {
    if (raw.has(name) && !resource.options.has(name)) throw optionNotAllowed(DISPLAY[name]);
  }

  const text = (name: string): string | undefined => {
    const value = raw.get(name);
    return value === undefined || value.trim() === "" ? undefined : value;
  };
  const query: {
    -readonly [K in keyof ParsedQuery]: ParsedQuery[K];
  } = {};

  const select = text("$select");
  if (select !== undefined) query.select = parseSelect(select, resource);
  const filter = text("$filter");
  if (filter !== undefined) query.filter = compileFilter(filter, resource);
  const orderby = text("$orderby");
  if (orderby !== undefined) {
    const keys = parseOrderBy(orderby, resource);
    query.orderby = { keys, compare: compileComparator(keys) };
  }
  if (raw.has("$top")) query.top = parseTop(raw.get("$top")!, resource);
  if (raw.has("$count")) query.count = parseCount(raw.get("$count")!);
  const search = text("$search");
  if (search !== undefined) query.search = compileSearch(search, resource);
  const expand = text("$expand");
  if (expand !== undefined) query.expand = parseExpand(expand, resource);
  const skiptoken = raw.get("$skiptoken");
  if (skiptoken !== undefined) query.skiptoken = skiptoken;
  const deltatoken = raw.get("$deltatoken");
  if (deltatoken !== undefined) query.deltatoken = deltatoken;
  return query;
}

/** One predicate for $filter AND $search (either may be absent). */
export function queryPredicate(query: ParsedQuery): (obj: Obj) => boolean {
  const filter = query.filter?.predicate;
  const search = query.search?.predicate;
  if (filter && search) return (obj) => filter(obj) && search(obj);
  return filter ?? search ?? (() => true);
}

function parseTop(raw: string, resource: ResourceSpec): number {
  const value = raw.trim();
  if (!/^-?\d+$/.test(value)) {
    throw badRequest(
      `Invalid value '${raw}' for $top query option found. The $top query option requires a non-negative integer value.`,
    );
  }
  const top = Number(value);
  if (top < 1 || top > resource.pageSize.max) throw invalidPageSize(value, resource.pageSize.max);
  return top;
}

function parseCount(raw: string): boolean {
  const value = raw.trim().toLowerCase();
  if (value === "true") return true;
  if (value === "false") return false;
  throw badRequest(`'${raw}' is not a valid count option.`);
}
