/**
 * Serving a list or one object with OData options: parse and check the query (OData module), filter,
 * search, sort, count, page, project, expand. Every list route goes through `listReply`, every
 * get-by-id through `objectReply`, so the rules of docs/graph.md#query-options and #response-shapes hold everywhere.
 */
import {
  checkQueryMode,
  compileProjection,
  directoryObjects,
  type ExpandOption,
  groups,
  type ParsedQuery,
  parseQueryOptions,
  queryPredicate,
  type ResourceSpec,
  servicePrincipals,
  users,
} from "../odata/index.ts";
import type { GraphObject } from "../tenant/types.ts";
import { graphErrors } from "./errors.ts";
import { collectionReply, entityReply, pageOf } from "./respond.ts";
import type { GraphReply, RouteContext } from "./router.ts";

export interface ListOptions {
  spec: ResourceSpec;
  /** The @odata.context entity set, e.g. "users" or "directoryObjects". */
  fragment: string;
  /** Page by offset instead of by ordinal (relationship collections, whose order is their own). */
  byOffset?: boolean;
  /** Replaces the spec's projection, e.g. for directoryObject collections whose items differ in type. */
  itemShape?: (select: readonly string[] | undefined) => (object: GraphObject) => Record<string, unknown>;
  /** Fills an expanded relationship (the route knows its relationships; at most 20 items, no nextLink). */
  expand?: (object: GraphObject, option: ExpandOption) => unknown;
}

/** Member, owner and memberOf collections hold users, groups and service principals at once. */
export const memberSpec: ResourceSpec = {
  ...directoryObjects,
  properties: { ...servicePrincipals.properties, ...groups.properties, ...users.properties },
  sortable: { default: new Set(["displayName"]), advanced: new Set(["displayName", "userPrincipalName"]) },
};

export function parsedQuery(ctx: RouteContext, spec: ResourceSpec, countRequested?: boolean) {
  const parsed = parseQueryOptions(ctx.request.query, spec);
  const mode = checkQueryMode(parsed, spec, {
    consistencyLevel: ctx.request.headers["consistencylevel"],
    ...(countRequested !== undefined ? { countRequested } : {}),
  });
  return { parsed, mode };
}

/** The objects a query selects, in answer order (before paging). */
export function selectItems(
  ctx: RouteContext,
  items: readonly GraphObject[],
  parsed: ParsedQuery,
): readonly GraphObject[] {
  let out = items;
  const hidden = ctx.services.faults.anyHidden;
  if (parsed.filter || parsed.search || hidden) {
    const predicate = queryPredicate(parsed);
    out = items.filter((o) => predicate(o) && (!hidden || ctx.visible(o.id)));
  }
  if (parsed.orderby) out = [...out].sort(parsed.orderby.compare);
  return out;
}

export function listReply(
  ctx: RouteContext,
  items: readonly GraphObject[],
  options: ListOptions,
): GraphReply {
  const { parsed, mode } = parsedQuery(ctx, options.spec);
  const selected = selectItems(ctx, items, parsed);
  const page = pageOf(ctx, selected, {
    pageSize: pageSize(ctx, parsed, options.spec),
    sorted: options.byOffset === true || parsed.orderby !== undefined,
  });
  const shape = shaper(options, parsed);
  const first = !ctx.request.query.has("$skiptoken");
  return collectionReply(ctx, contextFragment(options.fragment, parsed.select), {
    items: page.items.map(shape),
    ...(mode.includeCount && first ? { count: selected.length } : {}),
    ...(page.nextLink ? { nextLink: page.nextLink } : {}),
  });
}

/** `$top` or the default, cut to the `expandPageCap` knob when the request expands a relationship. */
function pageSize(ctx: RouteContext, parsed: ParsedQuery, spec: ResourceSpec): number {
  const asked = parsed.top ?? spec.pageSize.default;
  const cap = ctx.services.faults.settings.expandPageCap;
  return parsed.expand && cap > 0 ? Math.min(asked, cap) : asked;
}

/** One object with $select / $expand: `#users/$entity` or `#users(displayName,id)/$entity`. */
export function objectReply(ctx: RouteContext, object: GraphObject, options: ListOptions): GraphReply {
  const { parsed } = parsedQuery(ctx, options.spec);
  const shape = shaper(options, parsed);
  return entityReply(ctx, `${contextFragment(options.fragment, parsed.select)}/$entity`, shape(object));
}

function contextFragment(fragment: string, select: readonly string[] | undefined): string {
  return select ? `${fragment}(${select.join(",")})` : fragment;
}

/** The per-request function shaping each stored object (projection per type, then the expansion). */
function shaper(options: ListOptions, parsed: ParsedQuery): (object: GraphObject) => Record<string, unknown> {
  const expand = parsed.expand;
  const fill = expand && options.expand ? options.expand : undefined;
  const project = options.itemShape
    ? options.itemShape(parsed.select)
    : compileProjection(options.spec, parsed.select);
  if (!fill || !expand) return project;
  return (object) => {
    const out = project(object);
    out[expand.property] = fill(object, expand);
    return out;
  };
}

/**
 * `…/$count`: a text/plain number. Directory objects count only with `ConsistencyLevel: eventual`,
 * otherwise Graph answers 400 "$count is not currently supported." (confirmed, docs-contrib#2716).
 */
export function countReply(ctx: RouteContext, items: readonly GraphObject[], spec: ResourceSpec) {
  if (ctx.request.headers["consistencylevel"]?.trim().toLowerCase() !== "eventual") {
    throw graphErrors.badRequest("$count is not currently supported.");
  }
  const { parsed } = parsedQuery(ctx, spec, true);
  return { status: 200, body: String(selectItems(ctx, items, parsed).length), objects: 0 };
}
