/**
 * The default-vs-advanced query rules (§8). A query is "advanced" when it carries the header
 * `ConsistencyLevel: eventual` and `$count=true` (or, for $search, the header alone). Advanced mode
 * unlocks ne, not, endsWith, null comparisons, $filter with $orderby, more sort keys and multi-clause
 * lambdas, and forbids $expand. `$count=true` without the header is silently ignored, as Graph does.
 */
import {
  advancedOperatorRequired,
  complexLambda,
  searchNeedsEventual,
  sortingNotSupported,
  unsupportedFilterOperator,
  unsupportedFilterProperty,
  unsupportedQuery,
  unsupportedSortProperty,
} from "./errors.ts";
import type { ParsedQuery } from "./query-options.ts";
import { type FilterOp, lookupPath, type ResourceSpec } from "./resource-spec.ts";

export interface QueryModeInput {
  /** The ConsistencyLevel request header, if any. */
  readonly consistencyLevel?: string | undefined;
  /** Overrides the parsed $count, e.g. true for a /users/$count route. */
  readonly countRequested?: boolean;
}

export interface QueryMode {
  readonly advanced: boolean;
  /** Whether the answer carries @odata.count. */
  readonly includeCount: boolean;
}

// Operators that Graph names in its "required parameters might be missing" hint.
const HINTED_OPERATORS: ReadonlySet<FilterOp> = new Set(["ne", "not", "endsWith"]);
// The directory's internal names for operators it refuses outright (confirmed: NotEqualsMatch, Contains).
const OPERATOR_KIND: Partial<Record<FilterOp, string>> = { ne: "NotEqualsMatch", contains: "Contains" };

/**
 * Enforces §8 for a parsed query; throws ODataError 400 Request_UnsupportedQuery with Graph's message.
 * @example checkQueryMode(parseQueryOptions(p, users), users, { consistencyLevel: "eventual" })
 */
export function checkQueryMode(query: ParsedQuery, spec: ResourceSpec, input: QueryModeInput): QueryMode {
  const eventual = input.consistencyLevel?.trim().toLowerCase() === "eventual";
  const count = input.countRequested ?? query.count === true;
  if (query.search && !eventual) throw searchNeedsEventual();
  const advanced = eventual && (count || query.search !== undefined);

  if (query.filter) {
    for (const use of query.filter.uses) checkFilterUse(use.path, use.op, spec, advanced);
    const complex = query.filter.complexLambdas[0];
    if (complex !== undefined && !advanced) throw complexLambda(complex);
  }
  if (query.orderby) {
    if (query.filter && !advanced) throw sortingNotSupported();
    const allowed = advanced ? spec.sortable.advanced : spec.sortable.default;
    for (const key of query.orderby.keys) {
      if (!allowed.has(key.property)) throw unsupportedSortProperty(key.property, spec.label);
    }
  }
  if (query.expand && advanced) {
    // Documented ("$expand is not supported with advanced query parameters"); exact message unconfirmed.
    throw unsupportedQuery("$expand is not supported with advanced query parameters.");
  }
  return { advanced, includeCount: eventual && count };
}

function checkFilterUse(path: string, op: FilterOp, spec: ResourceSpec, advanced: boolean): void {
  if (path.endsWith("/$count")) return;
  if (op === "count") {
    // Documented as advanced-only for every directory collection (e.g. assignedLicenses/$count eq 0).
    if (!advanced) throw unsupportedFilterProperty(path, spec.label);
    return;
  }
  const prop = lookupPath(spec.properties, path.split("/"));
  const caps = prop?.filter;
  if (!caps || caps.advanced.size === 0) throw unsupportedFilterProperty(path, spec.label);
  if ((advanced ? caps.advanced : caps.default).has(op)) return;
  if (!advanced && caps.advanced.has(op)) {
    if (HINTED_OPERATORS.has(op)) throw advancedOperatorRequired(op);
    throw unsupportedFilterProperty(path, spec.label);
  }
  const kind = OPERATOR_KIND[op];
  if (kind) throw unsupportedFilterOperator(kind);
  throw unsupportedFilterProperty(path, spec.label);
}
