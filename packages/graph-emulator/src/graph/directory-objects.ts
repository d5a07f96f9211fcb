/**
 * directoryObject collections (members, owners, transitiveMembers, memberOf, directReports): items of
 * several types, each beginning with "@odata.type" then "id" (§13), projected with its own type's
 * default property set; a type-cast segment (`/members/microsoft.graph.user`) keeps one type.
 */
import {
  compileProjection,
  directoryObjects,
  directoryRoles,
  groups,
  type Projection,
  type ResourceSpec,
  servicePrincipals,
  users,
} from "../odata/index.ts";
import type { TenantModel } from "../tenant/model.ts";
import type { GraphObject, ObjectKind } from "../tenant/types.ts";
import { countReply, listReply, memberSpec, parsedQuery } from "./collection.ts";
import { graphErrors } from "./errors.ts";
import { PERMISSIONS } from "./permissions.ts";
import { collectionReply, entityReply } from "./respond.ts";
import type { GraphReply, RouteContext, Router } from "./router.ts";

const SPECS: Partial<Record<ObjectKind, ResourceSpec>> = {
  user: users,
  group: groups,
  servicePrincipal: servicePrincipals,
  directoryRole: directoryRoles,
};

const CASTS: Record<string, ObjectKind> = {
  "microsoft.graph.user": "user",
  "microsoft.graph.group": "group",
  "microsoft.graph.serviceprincipal": "servicePrincipal",
  "microsoft.graph.directoryrole": "directoryRole",
};

/** Which kind a stored directory object is (users, groups, service principals, activated roles). */
export function kindIn(tenant: TenantModel, object: GraphObject): ObjectKind {
  for (const kind of ["user", "group", "servicePrincipal", "directoryRole"] as const) {
    if (tenant.get(kind, object.id) === object) return kind;
  }
  return "user";
}

/** One directory object as it appears inside a collection or an expansion. */
export function projectDirectoryObject(
  object: GraphObject,
  kind: ObjectKind,
  select: readonly string[] | undefined,
  odataType = true,
): Record<string, unknown> {
  const spec = SPECS[kind] ?? directoryObjects;
  const own = select?.filter((name) => Object.hasOwn(spec.properties, name));
  return compileProjection(spec, own, { odataType })(object);
}

/**
 * Registers a directoryObject relationship the way Graph serves one: `{path}`, `{path}/$count` and
 * `{path}/{cast}` (e.g. `/members/microsoft.graph.user`), all from the same items.
 */
export function addDirectoryObjectList(
  router: Router,
  route: {
    path: string;
    permissions: readonly string[];
    cost: number;
    items: (ctx: RouteContext) => readonly GraphObject[];
  },
): void {
  const { path, permissions, cost, items } = route;
  router.add({
    method: "GET",
    path,
    permissions,
    cost,
    handler: (ctx) => directoryObjectsReply(ctx, items(ctx)),
  });
  router.add({
    method: "GET",
    path: `${path}/$count`,
    permissions,
    handler: (ctx) => countReply(ctx, items(ctx), memberSpec),
  });
  router.add({
    method: "GET",
    path: `${path}/{cast}`,
    permissions,
    cost,
    handler: (ctx) => directoryObjectsReply(ctx, items(ctx), ctx.params["cast"]),
  });
}

/** Answers a directoryObject collection, optionally narrowed by a type-cast segment. */
export function directoryObjectsReply(
  ctx: RouteContext,
  items: readonly GraphObject[],
  cast?: string,
): GraphReply {
  const kindOf = (object: GraphObject): ObjectKind => kindIn(ctx.tenant, object);
  if (cast === undefined) {
    return listReply(ctx, items, {
      spec: memberSpec,
      fragment: "directoryObjects",
      byOffset: true,
      itemShape: (select) => shapeByKind(kindOf, select),
    });
  }
  const kind = CASTS[cast.toLowerCase()];
  const spec = kind ? SPECS[kind] : undefined;
  if (!kind || !spec) throw graphErrors.unknownSegment(cast);
  const narrowed = items.filter((o) => kindOf(o) === kind);
  return listReply(ctx, narrowed, {
    spec,
    fragment: spec.name,
    byOffset: true,
    itemShape: (select) => shapeByKind(() => kind, select),
  });
}

/** Per-type projections, compiled once per request and type. */
export function shapeByKind(
  kindOf: (object: GraphObject) => ObjectKind,
  select: readonly string[] | undefined,
): (object: GraphObject) => Record<string, unknown> {
  const byKind = new Map<ObjectKind, Projection>();
  return (object) => {
    const kind = kindOf(object);
    let projection = byKind.get(kind);
    if (!projection) {
      const spec = SPECS[kind] ?? directoryObjects;
      const own = select?.filter((name) => Object.hasOwn(spec.properties, name));
      projection = compileProjection(spec, own, { odataType: true });
      byKind.set(kind, projection);
    }
    return projection(object);
  };
}

/** getByIds takes at most 1,000 ids (Graph's documented limit). */
const MAX_IDS = 1000;

const TYPE_NAMES: Record<string, ObjectKind> = {
  user: "user",
  group: "group",
  serviceprincipal: "servicePrincipal",
  directoryrole: "directoryRole",
};

function findDirectoryObject(
  tenant: TenantModel,
  id: string,
): { kind: ObjectKind; object: GraphObject } | undefined {
  for (const kind of ["user", "group", "servicePrincipal", "directoryRole"] as const) {
    const object = tenant.get(kind, id);
    if (object) return { kind, object };
  }
  return undefined;
}

/** `GET /directoryObjects/{id}` and `POST /directoryObjects/getByIds`: any object by id, typed. */
export function registerDirectoryObjectRoutes(router: Router): void {
  router.add({
    method: "GET",
    path: "/directoryObjects/{id}",
    permissions: PERMISSIONS.directoryRead,
    handler: (ctx) => {
      const id = ctx.params["id"] as string;
      const found = findDirectoryObject(ctx.tenant, id);
      if (!found || !ctx.visible(id)) throw graphErrors.notFound(id);
      const { parsed } = parsedQuery(ctx, memberSpec);
      return entityReply(
        ctx,
        "directoryObjects/$entity",
        projectDirectoryObject(found.object, found.kind, parsed.select),
      );
    },
  });
  router.add({
    method: "POST",
    path: "/directoryObjects/getByIds",
    permissions: PERMISSIONS.directoryRead,
    cost: 3,
    write: false,
    handler: (ctx) => {
      const body = ctx.json();
      const ids = body["ids"];
      if (!Array.isArray(ids) || ids.some((id) => typeof id !== "string"))
        throw graphErrors.invalidValue("ids", "DirectoryObject");
      if (ids.length > MAX_IDS) {
        throw graphErrors.badRequest(`The number of ids (${ids.length}) exceeds the maximum of ${MAX_IDS}.`);
      }
      const types = body["types"];
      let wanted: Set<ObjectKind> | undefined;
      if (types !== undefined) {
        if (!Array.isArray(types)) throw graphErrors.invalidValue("types", "DirectoryObject");
        wanted = new Set();
        for (const type of types) {
          const kind =
            TYPE_NAMES[
              String(type)
                .toLowerCase()
                .replace(/^microsoft\.graph\./, "")
            ];
          if (!kind) throw graphErrors.invalidValue("types", "DirectoryObject");
          wanted.add(kind);
        }
      }
      // Unknown ids are skipped, as Graph does; the answer is one page in any order.
      const items: Record<string, unknown>[] = [];
      for (const id of ids as string[]) {
        const found = findDirectoryObject(ctx.tenant, id);
        if (!found || !ctx.visible(id) || (wanted && !wanted.has(found.kind))) continue;
        items.push(projectDirectoryObject(found.object, found.kind, undefined));
      }
      return collectionReply(ctx, "directoryObjects", { items });
    },
  });
}
