/**
 * The delta functions: GET /users/delta, /groups/delta, /servicePrincipals/delta, /applications/delta
 * (and the fully qualified `/…/microsoft.graph.delta` the SDKs call).
 *
 * Token expiry is answered the two ways Graph answers it (docs/graph.md#delta-queries):
 * - a token older than the `deltaTokenTtlMs` fault setting (Graph: 7 days), or one that does not open:
 *   400 `syncStateNotFound`, the wording Microsoft published for expired directory delta tokens;
 * - every token issued before a tenant reset or the "expire all delta tokens" control (Graph: a service
 *   reset or tenant migration): 410 Gone, code `resyncRequired`, with a `Location` that restarts the
 *   round with the original options.
 * Either way the client must run a full round again and reconcile.
 */

import type { ResourceSpec } from "../../odata/resource-spec.ts";
import * as resources from "../../odata/resources.ts";
import { GraphError, graphErrors } from "../errors.ts";
import { PERMISSIONS } from "../permissions.ts";
import type { GraphReply, RouteContext, Router } from "../router.ts";
import { type DeltaIndex, deltaIndexOf } from "./change-index.ts";
import { parseDeltaOptions } from "./options.ts";
import { buildDeltaPage, DEFAULT_LIMITS, type DeltaPage, firstRound, roundFromLink } from "./page.ts";
import {
  type DeltaKind,
  type DeltaState,
  DeltaTokenCodec,
  MalformedDeltaToken,
  type TokenRole,
} from "./token.ts";

interface DeltaRoute {
  kind: DeltaKind;
  spec: ResourceSpec;
  permissions: readonly string[];
  cost: number;
}

const ROUTES: readonly DeltaRoute[] = [
  { kind: "users", spec: resources.users, permissions: PERMISSIONS.usersRead, cost: 2 },
  { kind: "groups", spec: resources.groups, permissions: PERMISSIONS.groupsRead, cost: 1 },
  {
    kind: "servicePrincipals",
    spec: resources.servicePrincipals,
    permissions: PERMISSIONS.appsRead,
    cost: 1,
  },
  { kind: "applications", spec: resources.applications, permissions: PERMISSIONS.appsRead, cost: 2 },
];

// One key per process: tokens do not outlive the emulator, as they would not outlive a service reset.
const codec = new DeltaTokenCodec();

export function registerDeltaRoutes(router: Router): void {
  for (const route of ROUTES) {
    for (const fn of ["delta", "microsoft.graph.delta"]) {
      router.add({
        method: "GET",
        path: `/${route.kind}/${fn}`,
        permissions: route.permissions,
        cost: route.cost,
        handler: (ctx) => deltaHandler(ctx, route),
      });
      // Kiota-generated SDKs call the function with parentheses (`/users/delta()`), which the router
      // splits into the name and an empty argument segment.
      router.add({
        method: "GET",
        path: `/${route.kind}/${fn}/{call}`,
        permissions: route.permissions,
        cost: route.cost,
        handler: (ctx) => {
          if (ctx.params["call"] !== "") throw graphErrors.unknownSegment(ctx.params["call"] as string);
          return deltaHandler(ctx, route);
        },
      });
    }
  }
}

/** Invalidates every delta and skip token issued for this tenant so far (answered 410 resyncRequired). */
export function expireDeltaTokens(ctx: Pick<RouteContext, "tenant">): void {
  deltaIndexOf(ctx.tenant).expireAll();
}

function deltaHandler(ctx: RouteContext, route: DeltaRoute): GraphReply {
  const { query } = ctx.request;
  const index = deltaIndexOf(ctx.tenant);
  const kindIndex = index.of(route.kind);
  const now = ctx.now();
  const skipToken = query.get("$skiptoken");
  const deltaToken = query.get("$deltatoken");
  let state: DeltaState;
  if (deltaToken === "latest") {
    // "Sync from now": no objects, only a deltaLink whose next round reports changes after this moment.
    const options = parseDeltaOptions(query, route.spec);
    const seq = index.seq;
    const link = {
      kind: route.kind,
      ...options,
      since: seq,
      start: seq,
      after: seq,
      issuedAt: now,
      generation: index.generation,
    };
    return deltaReply(ctx, route, index, { value: [], done: link }, false);
  }
  if (skipToken !== null) {
    state = openToken(ctx, route, index, "skip", skipToken);
  } else if (deltaToken !== null) {
    state = roundFromLink(openToken(ctx, route, index, "delta", deltaToken), index.seq, now);
  } else {
    const options = parseDeltaOptions(query, route.spec);
    state = firstRound(route.kind, options, kindIndex, index.seq, index.generation, now);
  }
  const minimal = /\breturn=minimal\b/i.test(ctx.request.headers["prefer"] ?? "");
  const page = buildDeltaPage({
    model: ctx.tenant,
    index: kindIndex,
    state,
    shape: route.spec,
    minimal,
    limits: { ...DEFAULT_LIMITS, members: ctx.services.faults.settings.deltaMembersPerPage },
  });
  return deltaReply(ctx, route, index, page, minimal);
}

function openToken(
  ctx: RouteContext,
  route: DeltaRoute,
  index: DeltaIndex,
  role: TokenRole,
  token: string,
): DeltaState {
  let state: DeltaState;
  try {
    state = codec.decode(role, token);
  } catch (error) {
    if (error instanceof MalformedDeltaToken) throw syncStateNotFound();
    throw error;
  }
  if (state.kind !== route.kind) throw syncStateNotFound();
  if (state.generation !== index.generation) throw resyncRequired(ctx, route, state);
  const ttl = ctx.services.faults.settings.deltaTokenTtlMs;
  if (ttl > 0 && ctx.now() - state.issuedAt > ttl) throw syncStateNotFound();
  return state;
}

function deltaReply(
  ctx: RouteContext,
  route: DeltaRoute,
  index: DeltaIndex,
  page: DeltaPage,
  minimal: boolean,
): GraphReply {
  const select = page.next?.select ?? page.done?.select ?? null;
  const fragment = select ? `${route.kind}(${select.join(",")})` : route.kind;
  const body: Record<string, unknown> = { "@odata.context": `${ctx.base}/$metadata#${fragment}` };
  const link = `${ctx.base}${ctx.request.path}`;
  const issued = { issuedAt: ctx.now(), generation: index.generation };
  if (page.next)
    body["@odata.nextLink"] = `${link}?$skiptoken=${codec.encode("skip", { ...page.next, ...issued })}`;
  if (page.done)
    body["@odata.deltaLink"] = `${link}?$deltatoken=${codec.encode("delta", { ...page.done, ...issued })}`;
  body["value"] = page.value;
  const reply: GraphReply = { status: 200, body, objects: page.value.length };
  if (minimal) reply.headers = { "Preference-Applied": "return=minimal" };
  return reply;
}

function syncStateNotFound(): GraphError {
  return new GraphError(
    400,
    "syncStateNotFound",
    "The sync state generation is not found. The delta token is expired and data must be synchronized again.",
  );
}

/** 410 with a Location that starts a full round again with the options the expired token carried. */
function resyncRequired(ctx: RouteContext, route: DeltaRoute, state: DeltaState): GraphError {
  const params: string[] = [];
  if (state.select) params.push(`$select=${encodeURIComponent(state.select.join(","))}`);
  if (state.ids) {
    const clauses = state.ids.map((id) => `id eq '${id.replaceAll("'", "''")}'`).join(" or ");
    params.push(`$filter=${encodeURIComponent(clauses)}`);
  }
  const location = `${ctx.base}/${route.kind}/delta${params.length ? `?${params.join("&")}` : ""}`;
  return new GraphError(
    410,
    "resyncRequired",
    "The delta token is no longer valid: the service's state was reset. Restart synchronization from the Location header.",
    { headers: { Location: location } },
  );
}
