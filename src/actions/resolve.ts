/**
 * One input vocabulary for every action: a `user` or `group` is an object id, a userPrincipalName /
 * mail address, or an exact display name. Names go into `$filter` only through the escaping filter
 * builder, so a hostile name can never change the query.
 */
import { createError } from "../errors.ts";
import { eq, type Filter, filterParam, or } from "./filter.ts";
import { isNotFound } from "./refusals.ts";
import { retryWhileReplicating } from "./replication.ts";
import type { ActionContext } from "./types.ts";

export type DirectoryObject = { id: string } & Record<string, unknown>;

export type ObjectKind = "user" | "group" | "servicePrincipal";

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isGuid(value: string): boolean {
  return GUID.test(value);
}

export const USER_SELECT = [
  "id",
  "displayName",
  "userPrincipalName",
  "mail",
  "mailNickname",
  "givenName",
  "surname",
  "jobTitle",
  "department",
  "companyName",
  "employeeId",
  "officeLocation",
  "mobilePhone",
  "accountEnabled",
  "userType",
  "usageLocation",
  "createdDateTime",
  "onPremisesSyncEnabled",
  "assignedLicenses",
].join(",");

export const GROUP_SELECT = [
  "id",
  "displayName",
  "description",
  "mail",
  "mailNickname",
  "mailEnabled",
  "securityEnabled",
  "groupTypes",
  "membershipRule",
  "visibility",
  "createdDateTime",
  "onPremisesSyncEnabled",
].join(",");

const SP_SELECT = "id,displayName,appId,servicePrincipalType,appRoles";

interface KindSpec {
  collection: string;
  select: string;
  /** Properties an address-like reference (containing "@") is matched against. */
  addressProps: readonly string[];
  /** Other GUID-valued keys a reference may be (a service principal's appId). */
  altIds?: readonly string[];
  label: (o: DirectoryObject) => string;
}

const KINDS: Record<ObjectKind, KindSpec> = {
  user: {
    collection: "/users",
    select: USER_SELECT,
    addressProps: ["userPrincipalName", "mail"],
    label: (o) => `${o["displayName"] ?? ""} <${o["userPrincipalName"] ?? o.id}>`,
  },
  group: {
    collection: "/groups",
    select: GROUP_SELECT,
    addressProps: ["mail"],
    label: (o) => `${o["displayName"] ?? ""} (${o.id})`,
  },
  servicePrincipal: {
    collection: "/servicePrincipals",
    select: SP_SELECT,
    addressProps: [],
    altIds: ["appId"],
    label: (o) => `${o["displayName"] ?? ""} (appId ${o["appId"] ?? "?"}, id ${o.id})`,
  },
};

/** Reads one object by id; a 404 on an object this process just created is retried (replication lag). */
async function getById(ctx: ActionContext, kind: ObjectKind, id: string): Promise<DirectoryObject> {
  const spec = KINDS[kind];
  return retryWhileReplicating(ctx, kind, id, () =>
    ctx.graph.get<DirectoryObject>(`${spec.collection}/${encodeURIComponent(id)}?$select=${spec.select}`),
  );
}

/**
 * Resolves a reference to exactly one object, or throws OBJECT_NOT_FOUND / OBJECT_AMBIGUOUS (listing
 * the candidates). An id that answers 404 falls through to the name lookup: a display name can look
 * like a GUID.
 */
export async function resolve(ctx: ActionContext, kind: ObjectKind, ref: string): Promise<DirectoryObject> {
  const spec = KINDS[kind];
  if (isGuid(ref)) {
    try {
      return await getById(ctx, kind, ref);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
  const filter = referenceFilter(spec, ref);
  const candidates = await firstPage(
    ctx,
    `${spec.collection}?${filterParam(filter)}&$select=${spec.select}&$top=10`,
  );
  return pickOne(kind, ref, candidates, spec.label);
}

/** The filter matching a non-id reference: address properties for "x@y", else the exact display name. */
function referenceFilter(spec: KindSpec, ref: string): Filter {
  if (ref.includes("@") && spec.addressProps.length > 0)
    return or(...spec.addressProps.map((p) => eq(p, ref)));
  if (isGuid(ref) && spec.altIds) return or(...spec.altIds.map((p) => eq(p, ref)), eq("displayName", ref));
  return eq("displayName", ref);
}

function pickOne(
  kind: string,
  ref: string,
  candidates: DirectoryObject[],
  label: (o: DirectoryObject) => string,
): DirectoryObject {
  const [only, ...rest] = candidates;
  if (!only) throw createError("OBJECT_NOT_FOUND", { kind, ref });
  if (rest.length > 0) {
    throw createError("OBJECT_AMBIGUOUS", {
      kind,
      ref,
      count: candidates.length === 10 ? "10 or more" : candidates.length,
      candidates: candidates.map(label).join("; "),
    });
  }
  return only;
}

async function firstPage(ctx: ActionContext, path: string): Promise<DirectoryObject[]> {
  const page = await ctx.graph.get<{ value: DirectoryObject[] }>(path);
  return page.value;
}

/**
 * A principal for provisioning and group membership: `user:<ref>`, `group:<ref>` or `app:<ref>`
 * (service principal). A bare id may be any of the three; any other bare reference is a user.
 */
export async function resolvePrincipal(
  ctx: ActionContext,
  principal: string,
): Promise<{ kind: ObjectKind; object: DirectoryObject }> {
  const m = /^(user|group|app|servicePrincipal):(.+)$/s.exec(principal);
  if (m) {
    const kind: ObjectKind = m[1] === "user" ? "user" : m[1] === "group" ? "group" : "servicePrincipal";
    return { kind, object: await resolve(ctx, kind, m[2]!) };
  }
  if (isGuid(principal)) {
    const found = await retryWhileReplicating(ctx, "object", principal, () =>
      anyKindById(ctx, principal),
    ).catch((err: unknown) => {
      if (isNotFound(err)) return undefined;
      throw err;
    });
    if (found) return found;
  }
  return { kind: "user", object: await resolve(ctx, "user", principal) };
}

/** The user, group or service principal with this id; a 404 GraphError when none is. */
async function anyKindById(
  ctx: ActionContext,
  id: string,
): Promise<{ kind: ObjectKind; object: DirectoryObject }> {
  let notFound: unknown;
  for (const kind of ["user", "group", "servicePrincipal"] as const) {
    try {
      const spec = KINDS[kind];
      return {
        kind,
        object: await ctx.graph.get<DirectoryObject>(`${spec.collection}/${id}?$select=${spec.select}`),
      };
    } catch (err) {
      if (!isNotFound(err)) throw err;
      notFound = err;
    }
  }
  throw notFound;
}

/** A deleted user or group, looked up in deleted items by id, UPN/mail or exact display name. */
export async function resolveDeleted(
  ctx: ActionContext,
  kind: "user" | "group",
  ref: string,
): Promise<DirectoryObject | undefined> {
  const spec = KINDS[kind];
  const base = `/directory/deletedItems/microsoft.graph.${kind}`;
  if (isGuid(ref)) {
    try {
      const item = await ctx.graph.get<DirectoryObject>(`/directory/deletedItems/${ref}`);
      // Deleted items hold users and groups alike; a deleted group is no deleted user.
      if (item["@odata.type"] === undefined || item["@odata.type"] === `#microsoft.graph.${kind}`)
        return item;
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
  const filter = referenceFilter(spec, ref);
  const found = await firstPage(ctx, `${base}?${filterParam(filter)}&$top=10`);
  if (found.length === 0) return undefined;
  return pickOne(`deleted ${kind}`, ref, found, spec.label);
}
