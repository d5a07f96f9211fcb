/**
 * Group membership and ownership writes, safe to repeat: adding an existing member or removing a
 * non-member is `changed: false`, recognised from Graph's 400 ("already exist" / "do not exist") so the
 * common case costs one request; a dry run asks first, since it cannot learn it from a write.
 */
import { createError } from "../errors.ts";
import { PLANNED_ID } from "./context.ts";
import { eq, filterParam } from "./filter.ts";
import { isGraphError, isNotFound, REFUSAL } from "./refusals.ts";
import { retryWhileReplicating } from "./replication.ts";
import type { DirectoryObject } from "./resolve.ts";
import type { ActionContext } from "./types.ts";

export type Relationship = "members" | "owners";

/** Graph wants references as a full directoryObjects URL on Graph's own host. */
export function odataId(id: string): string {
  return `https://graph.microsoft.com/v1.0/directoryObjects/${id}`;
}

export function groupLabel(group: DirectoryObject): string {
  return `group ${String(group["displayName"] ?? group.id)} (${group.id})`;
}

function isMailEnabledSecurityOrDistribution(group: DirectoryObject): boolean {
  const types = Array.isArray(group["groupTypes"]) ? (group["groupTypes"] as string[]) : [];
  return group["mailEnabled"] === true && !types.includes("Unified");
}

/** Refuses, before any request, the writes Graph refuses on this kind of group (docs/graph.md#errors, #groups). */
export function refuseUnmanageable(group: DirectoryObject, rel: Relationship | "properties"): void {
  const label = groupLabel(group);
  if (group["onPremisesSyncEnabled"] === true) {
    throw createError("ON_PREMISES_SYNCED", { target: `${label} (${rel})` });
  }
  if (rel !== "owners" && isMailEnabledSecurityOrDistribution(group)) {
    throw createError("GROUP_MAIL_ENABLED", { target: label });
  }
  const types = Array.isArray(group["groupTypes"]) ? (group["groupTypes"] as string[]) : [];
  if (rel === "members" && types.includes("DynamicMembership")) {
    throw createError("GROUP_DYNAMIC", { target: label, rule: String(group["membershipRule"] ?? "") });
  }
}

/** Whether `principalId` is a direct member / owner of the group (one filtered read). */
async function isReferenced(
  ctx: ActionContext,
  groupId: string,
  rel: Relationship,
  principalId: string,
): Promise<boolean> {
  const page = await ctx.graph.get<{ value: { id: string }[] }>(
    `/groups/${groupId}/${rel}?${filterParam(eq("id", principalId))}&$select=id`,
    { advanced: true },
  );
  return page.value.some((o) => o.id === principalId);
}

/** Adds a member or owner; false when it already was one. */
export async function addReference(
  ctx: ActionContext,
  group: DirectoryObject,
  rel: Relationship,
  principalId: string,
): Promise<boolean> {
  refuseUnmanageable(group, rel);
  const planned = group.id === PLANNED_ID || principalId === PLANNED_ID;
  if (ctx.dryRun && !planned && (await isReferenced(ctx, group.id, rel, principalId))) return false;
  try {
    await retryWhileReplicating(ctx, "object", [group.id, principalId], () =>
      ctx.write(
        {
          method: "POST",
          url: `/groups/${group.id}/${rel}/$ref`,
          body: { "@odata.id": odataId(principalId) },
        },
        { repeatSafe: true },
      ),
    );
    return true;
  } catch (err) {
    if (isGraphError(err, 400, REFUSAL.alreadyReferenced)) return false;
    throw err;
  }
}

/** Removes a member or owner; false when it was not one. Removing the last owner is refused. */
export async function removeReference(
  ctx: ActionContext,
  group: DirectoryObject,
  rel: Relationship,
  principal: DirectoryObject,
): Promise<boolean> {
  refuseUnmanageable(group, rel);
  if (ctx.dryRun) {
    if (!(await isReferenced(ctx, group.id, rel, principal.id))) return false;
    if (rel === "owners") await refuseLastOwner(ctx, group, principal);
  }
  try {
    await retryWhileReplicating(ctx, "object", [group.id, principal.id], () =>
      ctx.write({ method: "DELETE", url: `/groups/${group.id}/${rel}/${principal.id}/$ref` }),
    );
    return true;
  } catch (err) {
    if (isGraphError(err, 400, REFUSAL.notReferenced) || isNotFound(err)) return false;
    if (rel === "owners" && isGraphError(err, 400, REFUSAL.lastOwner)) {
      throw createError("GROUP_LAST_OWNER", { target: lastOwnerTarget(group, principal) }, { cause: err });
    }
    throw err;
  }
}

function lastOwnerTarget(group: DirectoryObject, owner: DirectoryObject): string {
  return `${String(owner["userPrincipalName"] ?? owner["displayName"] ?? owner.id)} of ${groupLabel(group)}`;
}

/** Microsoft 365 groups must keep an owner; security groups may be left without one. */
async function refuseLastOwner(
  ctx: ActionContext,
  group: DirectoryObject,
  owner: DirectoryObject,
): Promise<void> {
  const types = Array.isArray(group["groupTypes"]) ? (group["groupTypes"] as string[]) : [];
  if (!types.includes("Unified")) return;
  const page = await ctx.graph.get<{ value: { id: string }[] }>(
    `/groups/${group.id}/owners?$select=id&$top=2`,
  );
  if (page.value.length === 1 && page.value[0]!.id === owner.id) {
    throw createError("GROUP_LAST_OWNER", { target: lastOwnerTarget(group, owner) });
  }
}
