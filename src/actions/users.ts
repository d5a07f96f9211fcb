/** User actions: create, read, update, enable/disable, delete/restore, password and sessions. */
import { z } from "zod";
import { createError } from "../errors.ts";
import { PLANNED_ID } from "./context.ts";
import { createOnce, existingAsAsked } from "./create.ts";
import { defineAction, USER_READ, USER_WRITE } from "./define.ts";
import { deleteObject, deleteOutput } from "./delete.ts";
import { eq, filterParam } from "./filter.ts";
import { addReference, refuseUnmanageable } from "./groups-core.ts";
import { applyLicenceChange, describeUser, planLicenceChange, subscribedSkus } from "./licenses.ts";
import { changedProperties } from "./patch.ts";
import { isGraphError, isNotFound, REFUSAL } from "./refusals.ts";
import { type DirectoryObject, resolve, resolveDeleted, USER_SELECT } from "./resolve.ts";
import {
  graphObject,
  groupRef,
  licenseLists,
  password,
  usageLocation,
  userProperties,
  userRef,
  writeResult,
} from "./schemas.ts";
import { Steps } from "./steps.ts";
import type { ActionContext } from "./types.ts";

/** Properties Entra lets a cloud write on a user synchronised from on-premises AD. */
const CLOUD_WRITABLE_ON_SYNCED = new Set(["usageLocation"]);

function refuseIfSynced(object: DirectoryObject, label: string, what: string): void {
  if (object["onPremisesSyncEnabled"] === true)
    throw createError("ON_PREMISES_SYNCED", { target: `${label} (${what})` });
}

const userOutput = z.object({ ...writeResult, user: graphObject.optional() });

async function existingUser(ctx: ActionContext, upn: string): Promise<DirectoryObject | undefined> {
  const page = await ctx.graph.get<{ value: DirectoryObject[] }>(
    `/users?${filterParam(eq("userPrincipalName", upn))}&$select=${USER_SELECT}`,
  );
  return page.value[0];
}

function upnTaken(upn: string, existingId: string, cause?: unknown) {
  const params = { kind: "user", property: "userPrincipalName", value: upn, existingId };
  return createError("OBJECT_EXISTS", params, cause === undefined ? {} : { cause });
}

/** Graph's "same value for property userPrincipalName" conflict, with the other user's id. */
async function explainUpnConflict(ctx: ActionContext, err: unknown, upn: string): Promise<unknown> {
  if (!isGraphError(err, 400, REFUSAL.conflict)) return err;
  const other = await existingUser(ctx, upn);
  return other ? upnTaken(upn, other.id, err) : err;
}

export const createUser = defineAction({
  name: "create-user",
  summary: "Create a user; optionally licence it and add it to groups in the same call",
  write: true,
  permissions: USER_WRITE,
  input: z
    .object({
      displayName: userProperties.displayName,
      userPrincipalName: userProperties.userPrincipalName,
      password,
      forceChangePasswordNextSignIn: z.boolean().default(true),
      mailNickname: userProperties.mailNickname.optional().describe("Defaults to the UPN's local part"),
      accountEnabled: z.boolean().default(true),
      givenName: userProperties.givenName.optional(),
      surname: userProperties.surname.optional(),
      jobTitle: userProperties.jobTitle.optional(),
      department: userProperties.department.optional(),
      companyName: userProperties.companyName.optional(),
      employeeId: userProperties.employeeId.optional(),
      officeLocation: userProperties.officeLocation.optional(),
      mobilePhone: userProperties.mobilePhone.optional(),
      usageLocation: usageLocation.optional(),
      addLicenses: licenseLists.addLicenses,
      groups: z.array(groupRef).max(100).default([]).describe("Groups to add the new user to"),
    })
    .strict(),
  output: z.object({
    ...writeResult,
    user: graphObject,
    licenses: z.array(z.string()).optional(),
    groups: z.array(z.string()).optional(),
  }),
  async run(ctx, input) {
    const { password: pw, forceChangePasswordNextSignIn, addLicenses, groups, ...props } = input;
    const upn = props.userPrincipalName;
    ctx.setTarget(`user:${upn}`);
    const asked = {
      ...props,
      mailNickname:
        props.mailNickname ?? upn.split("@")[0]!.replace(/[^A-Za-z0-9.!#$%&'*+\-/=?^_`{|}~]/g, ""),
    };
    const found = await existingUser(ctx, upn);
    const key = { kind: "user" as const, property: "userPrincipalName", value: upn, action: "create-user" };
    const existing = found && existingAsAsked(found, asked, key);
    // Everything referenced is resolved and checked before the first write.
    const targets = await Promise.all(groups.map((g) => resolve(ctx, "group", g)));
    for (const group of targets) refuseUnmanageable(group, "members");
    const skus = addLicenses.length > 0 ? await subscribedSkus(ctx) : [];
    const body = { ...asked, passwordProfile: { password: pw, forceChangePasswordNextSignIn } };
    // A repeat only adds what the first run did not get to (licences held and memberships are kept).
    const change =
      addLicenses.length > 0
        ? planLicenceChange(
            existing ?? { id: PLANNED_ID, ...body, assignedLicenses: [] },
            skus,
            addLicenses,
            [],
            undefined,
          )
        : undefined;
    const licenceChange = change && change.add.length > 0 ? change : undefined;
    const steps = new Steps(ctx, "create-user", [
      "create user",
      ...(licenceChange ? ["assign licences"] : []),
      ...targets.map((g) => `add to group ${g["displayName"]}`),
    ]);
    let created: DirectoryObject;
    if (existing) {
      created = existing;
    } else {
      try {
        const createKey = {
          kind: "user" as const,
          label: `userPrincipalName ${upn}`,
          find: () => existingUser(ctx, upn),
          enforced: true,
        };
        const answer = await createOnce(ctx, { method: "POST", url: "/users", body }, createKey);
        created = { id: PLANNED_ID, ...redactedBody(body), ...answer };
      } catch (err) {
        throw await explainUpnConflict(ctx, err, upn);
      }
      if (!ctx.dryRun) ctx.recent.add(created.id);
    }
    ctx.setTarget(`user:${created.id}`);
    steps.done("create user", `user ${upn} (id ${created.id})`);
    let changed = !existing;
    if (licenceChange) {
      const names = licenceChange.add.map((s) => s.skuPartNumber).join(", ");
      const assigned = await steps.run("assign licences", `licences ${names}`, () =>
        applyLicenceChange(ctx, created, licenceChange),
      );
      changed ||= assigned;
    }
    for (const group of targets) {
      const name = `add to group ${group["displayName"]}`;
      const added = await steps.run(name, `member of ${group["displayName"]}`, () =>
        addReference(ctx, group, "members", created.id),
      );
      changed ||= added;
    }
    return {
      changed,
      user: created,
      ...(licenceChange ? { licenses: licenceChange.add.map((s) => s.skuId) } : {}),
      ...(targets.length > 0 ? { groups: targets.map((g) => g.id) } : {}),
    };
  },
});

function redactedBody(body: Record<string, unknown>): Record<string, unknown> {
  const { passwordProfile: _secret, ...rest } = body;
  return rest;
}

export const getUser = defineAction({
  name: "get-user",
  summary: "Get a user's details",
  write: false,
  permissions: USER_READ,
  input: z.object({ user: userRef }).strict(),
  output: z.object({ user: graphObject }),
  async run(ctx, input) {
    return { user: await resolve(ctx, "user", input.user) };
  },
});

const updatable = z.object({
  givenName: userProperties.givenName,
  surname: userProperties.surname,
  displayName: userProperties.displayName,
  jobTitle: userProperties.jobTitle,
  department: userProperties.department,
  companyName: userProperties.companyName,
  employeeId: userProperties.employeeId,
  officeLocation: userProperties.officeLocation,
  mobilePhone: userProperties.mobilePhone,
  accountEnabled: userProperties.accountEnabled,
  usageLocation: userProperties.usageLocation,
  userPrincipalName: userProperties.userPrincipalName,
  mailNickname: userProperties.mailNickname,
});

/** PATCHes only what differs; `changed: false` (nothing sent) when the user already matches. */
async function patchUser(ctx: ActionContext, ref: string, wanted: Record<string, unknown>) {
  const user = await resolve(ctx, "user", ref);
  ctx.setTarget(`user:${user.id}`);
  const diff = changedProperties(user, wanted);
  if (Object.keys(diff).length === 0) return { changed: false, user };
  if (Object.keys(diff).some((k) => !CLOUD_WRITABLE_ON_SYNCED.has(k))) {
    refuseIfSynced(user, describeUser(user), Object.keys(diff).join(", "));
  }
  try {
    await ctx.write({ method: "PATCH", url: `/users/${user.id}`, body: diff });
  } catch (err) {
    const upn = diff["userPrincipalName"];
    throw typeof upn === "string" ? await explainUpnConflict(ctx, err, upn) : err;
  }
  return { changed: true, user: { ...user, ...diff } };
}

export const updateUser = defineAction({
  name: "update-user",
  summary: "Update a user's properties (only the ones that differ are sent)",
  write: true,
  permissions: USER_WRITE,
  input: updatable
    .partial()
    .extend({ user: userRef })
    .strict()
    .refine((i) => Object.keys(i).length > 1, "give at least one property to change"),
  output: userOutput,
  async run(ctx, { user, ...wanted }) {
    return patchUser(ctx, user, wanted);
  },
});

export const disableUser = defineAction({
  name: "disable-user",
  summary: "Block a user from signing in (accountEnabled: false)",
  write: true,
  permissions: USER_WRITE,
  input: z.object({ user: userRef }).strict(),
  output: userOutput,
  async run(ctx, input) {
    return patchUser(ctx, input.user, { accountEnabled: false });
  },
});

export const enableUser = defineAction({
  name: "enable-user",
  summary: "Allow a user to sign in again (accountEnabled: true)",
  write: true,
  permissions: USER_WRITE,
  input: z.object({ user: userRef }).strict(),
  output: userOutput,
  async run(ctx, input) {
    return patchUser(ctx, input.user, { accountEnabled: true });
  },
});

export const deleteUser = defineAction({
  name: "delete-user",
  summary: "Delete a user (restorable for 30 days); deleting an absent user changes nothing",
  write: true,
  permissions: USER_WRITE,
  input: z.object({ user: userRef }).strict(),
  output: deleteOutput,
  run: (ctx, input) =>
    deleteObject(ctx, "user", input.user, (user) => refuseIfSynced(user, describeUser(user), "deletion")),
});

export const restoreUser = defineAction({
  name: "restore-user",
  summary: "Restore a deleted user from deleted items; an active user changes nothing",
  write: true,
  permissions: USER_WRITE,
  input: z.object({ user: userRef }).strict(),
  output: userOutput,
  async run(ctx, input) {
    const deleted = await resolveDeleted(ctx, "user", input.user);
    if (!deleted) {
      const active = await resolve(ctx, "user", input.user);
      ctx.setTarget(`user:${active.id}`);
      return { changed: false, user: active };
    }
    ctx.setTarget(`user:${deleted.id}`);
    let restored: DirectoryObject | undefined;
    try {
      // Repeat-safe: a resent restore whose first attempt went through finds nothing left to restore.
      restored = await ctx.write<DirectoryObject>(
        { method: "POST", url: `/directory/deletedItems/${deleted.id}/restore` },
        { repeatSafe: true },
      );
    } catch (err) {
      if (!isNotFound(err)) throw err;
      restored = await resolve(ctx, "user", deleted.id).catch(() => {
        throw err;
      });
    }
    if (!ctx.dryRun) ctx.recent.add(deleted.id);
    return { changed: true, user: restored ?? deleted };
  },
});

export const resetPassword = defineAction({
  name: "reset-password",
  summary: "Set a new password for a user, by default to be changed at next sign-in",
  write: true,
  permissions: USER_WRITE,
  input: z
    .object({ user: userRef, password, forceChangePasswordNextSignIn: z.boolean().default(true) })
    .strict(),
  output: z.object({ ...writeResult }),
  async run(ctx, input) {
    const user = await resolve(ctx, "user", input.user);
    ctx.setTarget(`user:${user.id}`);
    refuseIfSynced(user, describeUser(user), "password");
    const passwordProfile = {
      password: input.password,
      forceChangePasswordNextSignIn: input.forceChangePasswordNextSignIn,
    };
    await ctx.write({ method: "PATCH", url: `/users/${user.id}`, body: { passwordProfile } });
    return { changed: true };
  },
});

export const revokeSessions = defineAction({
  name: "revoke-sessions",
  summary: "Invalidate a user's refresh tokens and session cookies, forcing sign-in again",
  write: true,
  permissions: USER_WRITE,
  input: z.object({ user: userRef }).strict(),
  output: z.object({ ...writeResult }),
  async run(ctx, input) {
    const user = await resolve(ctx, "user", input.user);
    ctx.setTarget(`user:${user.id}`);
    await ctx.write({ method: "POST", url: `/users/${user.id}/revokeSignInSessions` }, { repeatSafe: true });
    return { changed: true };
  },
});

export const USER_ACTIONS = [
  createUser,
  getUser,
  updateUser,
  disableUser,
  enableUser,
  deleteUser,
  restoreUser,
  resetPassword,
  revokeSessions,
];
