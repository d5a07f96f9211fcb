/**
 * Directory roles: active assignments (roleManagement roleAssignments) and PIM eligibility
 * (roleEligibilityScheduleRequests adminAssign / adminRemove), tenant-wide scope "/".
 */

import { eq, filterParam } from "../actions/filter.ts";
import { isGraphError, isNotFound, REFUSAL } from "../actions/refusals.ts";
import { retryWhileReplicating } from "../actions/replication.ts";
import type { DirectoryObject } from "../actions/resolve.ts";
import type { ActionContext } from "../actions/types.ts";
import { createError } from "../errors.ts";

const BASE = "/roleManagement/directory";

interface RoleDefinition {
  id: string;
  displayName: string;
  templateId?: string;
}

interface Assignment {
  id: string;
  principalId: string;
  roleDefinitionId: string;
  directoryScopeId?: string;
}

/** A role definition by id, template id or display name (case-insensitive). */
export async function resolveRole(ctx: ActionContext, ref: string): Promise<RoleDefinition> {
  const r = ref.toLowerCase();
  const all: RoleDefinition[] = [];
  for await (const p of ctx.graph.pages<RoleDefinition>(
    `${BASE}/roleDefinitions?$select=id,displayName,templateId`,
  )) {
    all.push(...p.value);
  }
  const found = all.filter(
    (d) => d.id.toLowerCase() === r || d.templateId?.toLowerCase() === r || d.displayName.toLowerCase() === r,
  );
  if (found.length === 0) throw createError("OBJECT_NOT_FOUND", { kind: "role", ref });
  return found[0]!;
}

async function findAssignment(
  ctx: ActionContext,
  collection: "roleAssignments" | "roleEligibilitySchedules",
  principalId: string,
  roleId: string,
): Promise<Assignment | undefined> {
  const filter = filterParam(eq("principalId", principalId));
  for await (const p of ctx.graph.pages<Assignment>(`${BASE}/${collection}?${filter}`)) {
    const hit = p.value.find((a) => a.roleDefinitionId === roleId && (a.directoryScopeId ?? "/") === "/");
    if (hit) return hit;
  }
  return undefined;
}

/** Grants (or revokes) an active role assignment; false when already so. */
export async function setActiveRole(
  ctx: ActionContext,
  role: RoleDefinition,
  principal: DirectoryObject,
  grant: boolean,
): Promise<boolean> {
  const key = `role:${role.id}:${principal.id}`;
  const listed = await findAssignment(ctx, "roleAssignments", principal.id, role.id);
  const existingId = listed?.id ?? ctx.recent.idFor(key);
  if (grant === (existingId !== undefined)) return false;
  if (!grant) return deleteAssignment(ctx, "role assignment", `${BASE}/roleAssignments`, existingId!);
  const body = { roleDefinitionId: role.id, principalId: principal.id, directoryScopeId: "/" };
  try {
    const created = await retryWhileReplicating(ctx, "principal", principal.id, () =>
      ctx.write<Assignment>({ method: "POST", url: `${BASE}/roleAssignments`, body }, { repeatSafe: true }),
    );
    if (created?.id) ctx.recent.add(created.id, key);
  } catch (err) {
    if (isGraphError(err, 400, REFUSAL.conflict)) return false;
    throw err;
  }
  return true;
}

/**
 * Deletes an assignment by id; false when it was already gone. An assignment granted a moment ago may
 * still answer 404 while it replicates, so that 404 is waited out rather than taken for "gone".
 */
export async function deleteAssignment(
  ctx: ActionContext,
  kind: string,
  collection: string,
  id: string,
): Promise<boolean> {
  const send = async () => {
    try {
      await ctx.write({ method: "DELETE", url: `${collection}/${id}` });
    } catch (err) {
      // A 404 on the client's own resend: the first attempt deleted it and its answer was lost.
      if (!(isNotFound(err) && Number(err.params["attempts"]) > 1)) throw err;
    }
  };
  try {
    await retryWhileReplicating(ctx, kind, id, send);
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
  if (!ctx.dryRun) ctx.recent.forget(id);
  return true;
}

/**
 * Grants (or revokes) a PIM eligibility. Without an Entra ID P2 / Governance licence Graph answers 403,
 * which is reported as PIM_NOT_LICENSED rather than as a missing permission.
 */
export async function setEligibleRole(
  ctx: ActionContext,
  role: RoleDefinition,
  principal: DirectoryObject,
  grant: boolean,
): Promise<boolean> {
  try {
    const existing = await findAssignment(ctx, "roleEligibilitySchedules", principal.id, role.id);
    if (grant === (existing !== undefined)) return false;
    const body = {
      action: grant ? "adminAssign" : "adminRemove",
      principalId: principal.id,
      roleDefinitionId: role.id,
      directoryScopeId: "/",
      justification: grant ? "Granted by entra-connector" : "Revoked by entra-connector",
      ...(grant
        ? { scheduleInfo: { startDateTime: new Date().toISOString(), expiration: { type: "noExpiration" } } }
        : {}),
    };
    await retryWhileReplicating(ctx, "principal", principal.id, () =>
      ctx.write(
        { method: "POST", url: `${BASE}/roleEligibilityScheduleRequests`, body },
        { repeatSafe: true },
      ),
    );
    return true;
  } catch (err) {
    // A retried request whose first attempt went through.
    if (isGraphError(err, 400, grant ? REFUSAL.conflict : REFUSAL.absent)) return false;
    if (isGraphError(err, 403, REFUSAL.premiumRequired)) {
      throw createError("PIM_NOT_LICENSED", { requestId: err.requestId || "none" }, { cause: err });
    }
    throw err;
  }
}
