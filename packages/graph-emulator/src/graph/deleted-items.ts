/**
 * Deleted items (docs/graph.md#users): soft-deleted users and Microsoft 365 groups stay restorable
 * for 30 days. Listing needs a type cast (`/directory/deletedItems/microsoft.graph.user`); one item is
 * read, restored (POST …/restore, 200 with the object) or removed for good (DELETE, 204) by id.
 * A restore whose userPrincipalName or mail is now used by another object fails with Graph's conflict.
 */
import { applications, groups, type ResourceSpec, servicePrincipals, users } from "../odata/index.ts";
import type { GraphObject, ObjectKind } from "../tenant/types.ts";
import { listReply } from "./collection.ts";
import { projectDirectoryObject } from "./directory-objects.ts";
import { graphErrors } from "./errors.ts";
import { PERMISSIONS } from "./permissions.ts";
import { entityReply, noContent } from "./respond.ts";
import type { GraphReply, RouteContext, Router } from "./router.ts";

/** Deleted users are listed with their deletion time, which the default user set leaves out. */
const deletedUsers: ResourceSpec = {
  ...users,
  defaultSelect: [...users.defaultSelect.filter((p) => p !== "id"), "deletedDateTime", "id"],
};

const CASTS: Record<string, { kind: ObjectKind; spec: ResourceSpec }> = {
  "microsoft.graph.user": { kind: "user", spec: deletedUsers },
  "microsoft.graph.group": { kind: "group", spec: groups },
  "microsoft.graph.serviceprincipal": { kind: "servicePrincipal", spec: servicePrincipals },
  "microsoft.graph.application": { kind: "application", spec: applications },
};

const BASE = "/directory/deletedItems";

export function registerDeletedItemRoutes(router: Router): void {
  router.add({
    method: "GET",
    path: BASE,
    permissions: PERMISSIONS.deletedRead,
    // Unconfirmed wording: Graph requires the cast but its exact refusal is not documented.
    handler: () => {
      throw graphErrors.badRequest(
        "A type cast is required to list deleted items: use /directory/deletedItems/microsoft.graph.user or /microsoft.graph.group.",
      );
    },
  });
  for (const [cast, { kind, spec }] of Object.entries(CASTS)) {
    router.add({
      method: "GET",
      path: `${BASE}/${cast}`,
      permissions: PERMISSIONS.deletedRead,
      handler: (ctx) =>
        listReply(
          ctx,
          ctx.tenant.deletedItems(kind).map((record) => record.object),
          { spec, fragment: `directory/deletedItems/${castName(kind)}`, byOffset: true },
        ),
    });
  }
  router.add({
    method: "GET",
    path: `${BASE}/{id}`,
    permissions: PERMISSIONS.deletedRead,
    handler: (ctx) => {
      const { kind, object } = deletedRecord(ctx);
      return directoryObjectReply(ctx, object, kind);
    },
  });
  router.add({
    method: "POST",
    path: `${BASE}/{id}/restore`,
    permissions: PERMISSIONS.deletedWrite,
    handler: (ctx) => {
      const { kind, object } = deletedRecord(ctx);
      checkRestorable(ctx, kind, object);
      ctx.tenant.restore(object.id);
      return directoryObjectReply(ctx, object, kind);
    },
  });
  router.add({
    method: "DELETE",
    path: `${BASE}/{id}`,
    permissions: PERMISSIONS.deletedWrite,
    handler: (ctx) => {
      const { kind, object } = deletedRecord(ctx);
      ctx.tenant.hardDelete(kind, object.id);
      return noContent();
    },
  });
}

function castName(kind: ObjectKind): string {
  return `microsoft.graph.${kind}`;
}

function deletedRecord(ctx: RouteContext): { kind: ObjectKind; object: GraphObject } {
  const id = ctx.params["id"] as string;
  const record = ctx.tenant.getDeleted(id);
  if (!record) throw graphErrors.notFound(id);
  return { kind: record.kind, object: record.object };
}

function checkRestorable(ctx: RouteContext, kind: ObjectKind, object: GraphObject): void {
  if (kind !== "user") return;
  const upn = object["userPrincipalName"];
  if (typeof upn === "string" && ctx.tenant.findUserByUpn(upn))
    throw graphErrors.conflict("userPrincipalName");
  const mail = object["mail"];
  if (typeof mail === "string" && ctx.tenant.findUserByMail(mail)) throw graphErrors.conflict("mail");
}

/** One directory object: `#directoryObjects/$entity`, "@odata.type" first, then its type's default set. */
function directoryObjectReply(ctx: RouteContext, object: GraphObject, kind: ObjectKind): GraphReply {
  const body = projectDirectoryObject(object, kind, undefined);
  body["deletedDateTime"] = object["deletedDateTime"] ?? null;
  return entityReply(ctx, "directoryObjects/$entity", body);
}
