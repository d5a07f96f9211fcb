/** Enterprise app assignments: the default access role or a named app role, via appRoleAssignedTo. */

import { isGraphError, REFUSAL } from "../actions/refusals.ts";
import { retryWhileReplicating } from "../actions/replication.ts";
import type { DirectoryObject } from "../actions/resolve.ts";
import type { ActionContext } from "../actions/types.ts";
import { createError } from "../errors.ts";
import { DEFAULT_APP_ROLE } from "./entitlements.ts";
import { deleteAssignment } from "./roles.ts";

interface AppRole {
  id: string;
  value?: string | null;
  displayName?: string | null;
}

interface AppRoleAssignment {
  id: string;
  principalId: string;
  appRoleId: string;
}

/** The app role id for a reference (id, value or display name); the default access role when absent. */
export function resolveAppRole(app: DirectoryObject, ref: string | undefined): string {
  if (ref === undefined) return DEFAULT_APP_ROLE;
  const roles = Array.isArray(app["appRoles"]) ? (app["appRoles"] as AppRole[]) : [];
  const r = ref.toLowerCase();
  const role = roles.find(
    (x) => x.id.toLowerCase() === r || x.value?.toLowerCase() === r || x.displayName?.toLowerCase() === r,
  );
  if (role) return role.id;
  if (r === DEFAULT_APP_ROLE) return DEFAULT_APP_ROLE;
  const known = roles.map((x) => x.value ?? x.displayName ?? x.id).join(", ") || "none";
  throw createError("OBJECT_NOT_FOUND", {
    kind: `app role of ${String(app["displayName"] ?? app.id)} (has: ${known})`,
    ref,
  });
}

async function findAssignment(
  ctx: ActionContext,
  appId: string,
  principalId: string,
  appRoleId: string,
): Promise<AppRoleAssignment | undefined> {
  for await (const p of ctx.graph.pages<AppRoleAssignment>(
    `/servicePrincipals/${appId}/appRoleAssignedTo?$top=999`,
  )) {
    const hit = p.value.find((a) => a.principalId === principalId && a.appRoleId === appRoleId);
    if (hit) return hit;
  }
  return undefined;
}

/** Assigns (or unassigns) the principal to the app in the given role; false when already so. */
export async function setAppAssignment(
  ctx: ActionContext,
  app: DirectoryObject,
  appRoleId: string,
  principal: DirectoryObject,
  grant: boolean,
): Promise<boolean> {
  const key = `app:${app.id}:${principal.id}:${appRoleId}`;
  const listed = await findAssignment(ctx, app.id, principal.id, appRoleId);
  const existingId = listed?.id ?? ctx.recent.idFor(key);
  if (grant === (existingId !== undefined)) return false;
  const base = `/servicePrincipals/${app.id}/appRoleAssignedTo`;
  if (!grant) return deleteAssignment(ctx, "app role assignment", base, existingId!);
  const body = { principalId: principal.id, resourceId: app.id, appRoleId };
  try {
    const created = await retryWhileReplicating(ctx, "principal", principal.id, () =>
      ctx.write<AppRoleAssignment>({ method: "POST", url: base, body }, { repeatSafe: true }),
    );
    if (created?.id) ctx.recent.add(created.id, key);
  } catch (err) {
    if (isGraphError(err, 400, REFUSAL.conflict)) return false;
    throw err;
  }
  return true;
}
