/**
 * Grant and revoke of the identity model's entitlements. Both run through the action runner, so they
 * get the same validation, provisioning gate, dry run, audit and repeat-safety as actions: granting
 * what a principal already holds (or revoking what it lacks) is `changed: false` and sends nothing.
 */
import { z } from "zod";
import {
  APP_ASSIGNMENT_WRITE,
  defineAction,
  LICENSE_WRITE,
  MEMBER_WRITE,
  ROLE_WRITE,
} from "../actions/define.ts";
import { addReference, removeReference } from "../actions/groups-core.ts";
import { applyLicenceChange, planLicenceChange, subscribedSkus } from "../actions/licenses.ts";
import { isGraphError } from "../actions/refusals.ts";
import { resolve, resolvePrincipal } from "../actions/resolve.ts";
import { principalRef, ref, usageLocation, writeResult } from "../actions/schemas.ts";
import type { ActionContext } from "../actions/types.ts";
import { createError } from "../errors.ts";
import { resolveAppRole, setAppAssignment } from "./apps.ts";
import { type EntitlementRef, entitlementName, parseEntitlement } from "./entitlements.ts";
import { resolveRole, setActiveRole, setEligibleRole } from "./roles.ts";

/** Application permissions, any one of which allows writing each kind of entitlement. */
export const GRANT_PERMISSIONS: Record<EntitlementRef["kind"] | "eligible", readonly string[]> = {
  group: MEMBER_WRITE,
  role: ROLE_WRITE,
  eligible: ROLE_WRITE,
  app: APP_ASSIGNMENT_WRITE,
  license: LICENSE_WRITE,
};

const input = z
  .object({
    entitlement: ref("entitlement", 2048).describe(
      "group:<group>:member|owner, role:<role>:assigned|eligible, app:<app>:assigned, app:<app>:role:<role>, license:<sku>:assigned",
    ),
    principal: principalRef,
    usageLocation: usageLocation.optional().describe("For license grants to a user without a usage location"),
  })
  .strict();

const output = z.object({
  ...writeResult,
  entitlement: z.string().describe("The store's entitlement name, e.g. group:member or app:role:<id>"),
  objectId: z.string(),
  principalId: z.string(),
});

type Result = z.input<typeof output>;

async function apply(ctx: ActionContext, raw: z.output<typeof input>, grant: boolean): Promise<Result> {
  const ref = parseEntitlement(raw.entitlement);
  const { kind, object: principal } = await resolvePrincipal(ctx, raw.principal);
  const done = (changed: boolean, objectId: string, appRoleId?: string): Result => ({
    changed,
    entitlement: entitlementName(ref, appRoleId),
    objectId,
    principalId: principal.id,
  });
  try {
    switch (ref.kind) {
      case "group": {
        const group = await resolve(ctx, "group", ref.object);
        ctx.setTarget(`group:${group.id}`);
        const rel = ref.relation === "member" ? "members" : "owners";
        const changed = grant
          ? await addReference(ctx, group, rel, principal.id)
          : await removeReference(ctx, group, rel, principal);
        return done(changed, group.id);
      }
      case "role": {
        const role = await resolveRole(ctx, ref.object);
        ctx.setTarget(`role:${role.id}`);
        const set = ref.relation === "assigned" ? setActiveRole : setEligibleRole;
        return done(await set(ctx, role, principal, grant), role.id);
      }
      case "app": {
        const app = await resolve(ctx, "servicePrincipal", ref.object);
        ctx.setTarget(`app:${app.id}`);
        const appRoleId = resolveAppRole(app, ref.appRole);
        return done(await setAppAssignment(ctx, app, appRoleId, principal, grant), app.id, appRoleId);
      }
      case "license": {
        if (kind !== "user") {
          throw createError("ENTITLEMENT_INVALID", {
            entitlement: raw.entitlement,
            problem: "licences go to users only",
          });
        }
        const skus = await subscribedSkus(ctx);
        ctx.setTarget(`user:${principal.id}`);
        const refs = [ref.object];
        const change = planLicenceChange(
          principal,
          skus,
          grant ? refs : [],
          grant ? [] : refs,
          raw.usageLocation,
        );
        const skuId = (change.add[0] ?? change.remove[0])?.skuId ?? ref.object;
        return done(await applyLicenceChange(ctx, principal, change), skuId);
      }
    }
  } catch (err) {
    throw permissionError(err, ref, grant);
  }
}

/** A 403 names the permission this kind of entitlement needs (the runner only knows the action's). */
function permissionError(err: unknown, ref: EntitlementRef, grant: boolean): unknown {
  if (!isGraphError(err, 403)) return err;
  const key = ref.kind === "role" && ref.relation === "eligible" ? "eligible" : ref.kind;
  return createError(
    "PERMISSION_MISSING",
    {
      action: `${grant ? "grant" : "revoke"} ${ref.kind}`,
      permissions: GRANT_PERMISSIONS[key].join(" or "),
      requestId: err.requestId || "none",
    },
    { cause: err },
  );
}

const ALL_WRITE = [...new Set(Object.values(GRANT_PERMISSIONS).flat())];

export const grantAction = defineAction({
  name: "grant",
  summary: "Grant an entitlement to a principal; one already held changes nothing",
  write: true,
  permissions: ALL_WRITE,
  input,
  output,
  run: (ctx, i) => apply(ctx, i, true),
});

export const revokeAction = defineAction({
  name: "revoke",
  summary: "Revoke an entitlement from a principal; one not held changes nothing",
  write: true,
  permissions: ALL_WRITE,
  input,
  output,
  run: (ctx, i) => apply(ctx, i, false),
});
