/**
 * Building Graph-shaped answers: @odata.context first, collections with @odata.count / @odata.nextLink,
 * 201 with Location, 204 with nothing. Headers common to every JSON answer (Content-Type with the OData
 * parameters, OData-Version, request-id, client-request-id) are added when the reply is written
 * (server.ts), so batch responses get the same.
 */

import { decodeSkipToken, encodeSkipToken } from "../odata/index.ts";
import type { GraphReply, RouteContext } from "./router.ts";

export function metadataUrl(ctx: RouteContext, fragment: string): string {
  return `${ctx.base}/$metadata#${fragment}`;
}

/** One object: `{"@odata.context": "…$metadata#users/$entity", …}`. */
export function entityReply(
  ctx: RouteContext,
  fragment: string,
  object: Record<string, unknown>,
  status = 200,
): GraphReply {
  return { status, body: { "@odata.context": metadataUrl(ctx, fragment), ...object } };
}

/**
 * A created object: 201, the entity, and `Location: …/v1.0/{tenantId}/directoryObjects/{id}/Microsoft.DirectoryServices.User`.
 */
export function createdReply(
  ctx: RouteContext,
  fragment: string,
  object: Record<string, unknown> & { id: unknown },
  directoryType: string,
): GraphReply {
  const reply = entityReply(ctx, fragment, object, 201);
  reply.headers = {
    Location: `${ctx.base}/${ctx.tenant.info.id}/directoryObjects/${String(object.id)}/Microsoft.DirectoryServices.${directoryType}`,
  };
  return reply;
}

export function noContent(): GraphReply {
  return { status: 204 };
}

export interface CollectionPage {
  items: Record<string, unknown>[];
  /** Total before paging, sent as @odata.count (first page only) when the client asked. */
  count?: number;
  nextLink?: string;
}

export function collectionReply(ctx: RouteContext, fragment: string, page: CollectionPage): GraphReply {
  const body: Record<string, unknown> = { "@odata.context": metadataUrl(ctx, fragment) };
  if (page.count !== undefined) body["@odata.count"] = page.count;
  if (page.nextLink !== undefined) body["@odata.nextLink"] = page.nextLink;
  body["value"] = page.items;
  return { status: 200, body, objects: page.items.length };
}

/** The paging cursor inside an opaque `$skiptoken`. */
interface Cursor {
  /** Offset into the filtered, sorted result (used when the client sorts). */
  o?: number;
  /** Last ordinal served (used for natural order: stable while objects come and go). */
  after?: number;
}

/**
 * One page of `items` (already filtered and, if asked, sorted). Natural order pages by ordinal so a
 * create or delete between pages neither repeats nor skips an object; sorted results page by offset.
 * The nextLink repeats the client's options and puts `$skiptoken` last (§13).
 */
export function pageOf<T extends { id: string }>(
  ctx: RouteContext,
  items: readonly T[],
  opts: { pageSize: number; sorted: boolean; ordinal?: (id: string) => number },
): { items: T[]; nextLink?: string } {
  const token = ctx.request.query.get("$skiptoken");
  const cursor: Cursor = token ? (decodeSkipToken(token) as Cursor) : {};
  const ordinal = opts.ordinal ?? ((id: string) => ctx.tenant.ordinalOf(id));
  let start = 0;
  if (opts.sorted) start = cursor.o ?? 0;
  else if (cursor.after !== undefined) start = firstAfter(items, cursor.after, ordinal);
  const end = Math.min(items.length, start + opts.pageSize);
  const page = items.slice(start, end);
  if (end >= items.length) return { items: page };
  const last = page[page.length - 1];
  const next: Cursor = opts.sorted || !last ? { o: end } : { after: ordinal(last.id) };
  return { items: page, nextLink: nextLinkFor(ctx, encodeSkipToken(next)) };
}

export function nextLinkFor(ctx: RouteContext, skipToken: string): string {
  const parts: string[] = [];
  for (const [key, value] of ctx.request.query) {
    if (key.toLowerCase() !== "$skiptoken") parts.push(`${key}=${readable(value)}`);
  }
  parts.push(`$skiptoken=${skipToken}`);
  return `${ctx.base}${ctx.request.path}?${parts.join("&")}`;
}

/** Percent-encodes what must be, but keeps `$ , ' ( ) :` literal as Graph's links do. */
function readable(value: string): string {
  return encodeURIComponent(value).replace(/%(24|2C|27|28|29|3A)/gi, (_m, hex: string) =>
    String.fromCharCode(Number.parseInt(hex, 16)),
  );
}

/** Binary search: index of the first item whose ordinal is greater than `after` (items are in ordinal order). */
function firstAfter<T extends { id: string }>(
  items: readonly T[],
  after: number,
  ordinal: (id: string) => number,
): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ordinal((items[mid] as T).id) <= after) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
