/** Group actions: create (with owners and members), read, update, delete, membership and ownership. */
import { createHash } from "node:crypto";
import { z } from "zod";
import { createError } from "../errors.ts";
import { PLANNED_ID } from "./context.ts";
import { createOnce, existingAsAsked } from "./create.ts";
import { defineAction, GROUP_READ, GROUP_WRITE, MEMBER_WRITE } from "./define.ts";
import { deleteObject, deleteOutput } from "./delete.ts";
import { eq, filterParam } from "./filter.ts";
import { addReference, groupLabel, odataId, refuseUnmanageable, removeReference } from "./groups-core.ts";
import { changedProperties } from "./patch.ts";
import { type DirectoryObject, GROUP_SELECT, resolve, resolvePrincipal } from "./resolve.ts";
import {
  graphObject,
  groupProperties,
  groupRef,
  mailNickname,
  principalRef,
  text,
  userRef,
  writeResult,
} from "./schemas.ts";
import { Steps } from "./steps.ts";
import type { ActionContext } from "./types.ts";

/** Graph accepts at most 20 `@odata.bind` references per relationship in one create (§5). */
const BIND_LIMIT = 20;

/** A mailNickname derived from a display name: its ASCII letters and digits, or a stable hash. */
function nicknameFor(displayName: string): string {
  const plain = displayName
    .normalize("NFKD")
    .replace(/[^A-Za-z0-9\-_]/g, "")
    .slice(0, 48);
  return plain || `group-${createHash("sha256").update(displayName).digest("hex").slice(0, 12)}`;
}

async function groupsByNickname(ctx: ActionContext, nick: string): Promise<DirectoryObject[]> {
  const page = await ctx.graph.get<{ value: DirectoryObject[] }>(
    `/groups?${filterParam(eq("mailNickname", nick))}&$select=${GROUP_SELECT}`,
  );
  return page.value;
}

export const createGroup = defineAction({
  name: "create-group",
  summary: "Create a security or Microsoft 365 group, optionally with owners and members",
  write: true,
  permissions: GROUP_WRITE,
  input: z
    .object({
      displayName: groupProperties.displayName,
      mailNickname: mailNickname
        .optional()
        .describe("Unique key for repeat-safety; derived from displayName if absent"),
      description: text(1024, { multiline: true }).optional(),
      securityEnabled: z.boolean().optional().describe("Defaults to true, false for Microsoft 365 groups"),
      mailEnabled: z.boolean().optional().describe("true only for Microsoft 365 (Unified) groups"),
      groupTypes: z.array(z.enum(["Unified", "DynamicMembership"])).default([]),
      visibility: z.enum(["Public", "Private", "HiddenMembership"]).optional(),
      membershipRule: groupProperties.membershipRule.optional(),
      owners: z.array(principalRef).max(100).default([]),
      members: z.array(principalRef).max(500).default([]),
    })
    .strict(),
  output: z.object({
    ...writeResult,
    group: graphObject,
    owners: z.array(z.string()),
    members: z.array(z.string()),
  }),
  async run(ctx, input) {
    const { owners, members, ...props } = input;
    const { mailEnabled, securityEnabled } = checkGroupShape(props, members.length);
    const nick = props.mailNickname ?? nicknameFor(props.displayName);
    ctx.setTarget(`group:${nick}`);
    const asked = { ...props, mailEnabled, securityEnabled, mailNickname: nick };
    const existing = await existingGroup(ctx, asked);
    const ownerObjs = await Promise.all(owners.map((o) => resolvePrincipal(ctx, o)));
    const memberObjs = await Promise.all(members.map((m) => resolvePrincipal(ctx, m)));
    const ownerIds = unique(ownerObjs.map((o) => o.object.id));
    const memberIds = unique(memberObjs.map((m) => m.object.id));
    // A new group gets its first references bound in the POST; a repeat adds only the missing ones.
    const bound = existing ? 0 : BIND_LIMIT;
    const [heldOwners, heldMembers] = existing
      ? await Promise.all([referenced(ctx, existing.id, "owners"), referenced(ctx, existing.id, "members")])
      : [new Set<string>(), new Set<string>()];
    const later = [
      ...ownerIds.slice(bound).flatMap((id) => (heldOwners.has(id) ? [] : [{ rel: "owners" as const, id }])),
      ...memberIds
        .slice(bound)
        .flatMap((id) => (heldMembers.has(id) ? [] : [{ rel: "members" as const, id }])),
    ];
    const steps = new Steps(ctx, "create-group", [
      "create group",
      ...later.map((l) => `add ${l.rel} ${l.id}`),
    ]);
    let created: DirectoryObject;
    if (existing) {
      created = existing;
    } else {
      const body: Record<string, unknown> = { ...asked };
      if (ownerIds.length > 0) body["owners@odata.bind"] = ownerIds.slice(0, BIND_LIMIT).map(odataId);
      if (memberIds.length > 0) body["members@odata.bind"] = memberIds.slice(0, BIND_LIMIT).map(odataId);
      const key = {
        kind: "group" as const,
        label: `mailNickname ${nick}`,
        find: async () => (await groupsByNickname(ctx, nick))[0],
        enforced: props.groupTypes.includes("Unified"),
      };
      const answer = await createOnce(ctx, { method: "POST", url: "/groups", body }, key);
      created = { id: PLANNED_ID, ...asked, ...answer };
      if (!ctx.dryRun) ctx.recent.add(created.id);
    }
    ctx.setTarget(`group:${created.id}`);
    steps.done(
      "create group",
      `${groupLabel(created)} with ${Math.min(ownerIds.length, bound)} owners and ${Math.min(memberIds.length, bound)} members`,
    );
    let changed = !existing;
    for (const { rel, id } of later) {
      const added = await steps.run(`add ${rel} ${id}`, `${rel.slice(0, -1)} ${id}`, () =>
        addReference(ctx, created, rel, id),
      );
      changed ||= added;
    }
    return { changed, group: created, owners: ownerIds, members: memberIds };
  },
});

/**
 * The group a repeated create-group finds under its mailNickname: undefined when there is none, the
 * group when it is the one asked for, else OBJECT_CONFLICT. Graph keeps a Microsoft 365 group's
 * mailNickname unique but not a security group's, so several security groups may share one: then the
 * repeat cannot tell which is its own and lists them.
 */
async function existingGroup(
  ctx: ActionContext,
  asked: Record<string, unknown> & { mailNickname: string },
): Promise<DirectoryObject | undefined> {
  const nick = asked.mailNickname;
  const [found, ...others] = await groupsByNickname(ctx, nick);
  if (!found) return undefined;
  if (others.length > 0) {
    const candidates = [found, ...others];
    throw createError("OBJECT_AMBIGUOUS", {
      kind: "group",
      ref: `mailNickname ${nick}`,
      count: candidates.length,
      candidates: candidates.map(groupLabel).join("; "),
    });
  }
  return existingAsAsked(found, asked, {
    kind: "group",
    property: "mailNickname",
    value: nick,
    action: "create-group",
  });
}

/** The ids of a group's direct owners or members. */
async function referenced(ctx: ActionContext, groupId: string, rel: "owners" | "members") {
  const ids = new Set<string>();
  for await (const page of ctx.graph.pages<{ id: string }>(`/groups/${groupId}/${rel}?$select=id&$top=999`)) {
    for (const o of page.value) ids.add(o.id);
  }
  return ids;
}

/**
 * The group kinds Graph can create (docs/graph.md#groups), checked before any request: Microsoft 365
 * groups are mail-enabled, mail-enabled security groups and distribution lists cannot be created,
 * and a dynamic group has a rule and no hand-picked members.
 */
function checkGroupShape(
  props: {
    displayName: string;
    groupTypes: string[];
    mailEnabled?: boolean | undefined;
    securityEnabled?: boolean | undefined;
    membershipRule?: string | undefined;
  },
  memberCount: number,
): { mailEnabled: boolean; securityEnabled: boolean } {
  const unified = props.groupTypes.includes("Unified");
  const dynamic = props.groupTypes.includes("DynamicMembership");
  const mailEnabled = props.mailEnabled ?? unified;
  const target = `new group ${props.displayName}`;
  if (mailEnabled && !unified) throw createError("GROUP_MAIL_ENABLED", { target });
  const invalid = (problems: string) => createError("INPUT_INVALID", { action: "create-group", problems });
  if (unified && !mailEnabled) throw invalid("mailEnabled: Unified groups are mail-enabled");
  if (dynamic !== (props.membershipRule !== undefined)) {
    throw invalid("membershipRule: required with DynamicMembership, and only then");
  }
  if (dynamic && memberCount > 0)
    throw createError("GROUP_DYNAMIC", { target, rule: props.membershipRule ?? "" });
  return { mailEnabled, securityEnabled: props.securityEnabled ?? !unified };
}

function unique(ids: string[]): string[] {
  return [...new Set(ids)];
}

export const getGroup = defineAction({
  name: "get-group",
  summary: "Get a group's details",
  write: false,
  permissions: GROUP_READ,
  input: z.object({ group: groupRef }).strict(),
  output: z.object({ group: graphObject }),
  async run(ctx, input) {
    return { group: await resolve(ctx, "group", input.group) };
  },
});

export const updateGroup = defineAction({
  name: "update-group",
  summary: "Update a group's properties (only the ones that differ are sent)",
  write: true,
  permissions: GROUP_WRITE,
  input: z
    .object({
      group: groupRef,
      displayName: groupProperties.displayName.optional(),
      description: groupProperties.description.optional(),
      mailNickname: groupProperties.mailNickname.optional(),
      visibility: groupProperties.visibility.optional(),
      membershipRule: groupProperties.membershipRule.optional(),
    })
    .strict()
    .refine((i) => Object.keys(i).length > 1, "give at least one property to change"),
  output: z.object({ ...writeResult, group: graphObject }),
  async run(ctx, { group: ref, ...wanted }) {
    const group = await resolve(ctx, "group", ref);
    ctx.setTarget(`group:${group.id}`);
    const diff = changedProperties(group, wanted);
    if (Object.keys(diff).length === 0) return { changed: false, group };
    refuseUnmanageable(group, "properties");
    await ctx.write({ method: "PATCH", url: `/groups/${group.id}`, body: diff });
    return { changed: true, group: { ...group, ...diff } };
  },
});

export const deleteGroup = defineAction({
  name: "delete-group",
  summary: "Delete a group (security groups permanently); deleting an absent group changes nothing",
  write: true,
  permissions: GROUP_WRITE,
  input: z.object({ group: groupRef }).strict(),
  output: deleteOutput,
  run: (ctx, input) =>
    deleteObject(ctx, "group", input.group, (group) => refuseUnmanageable(group, "properties")),
});

const membershipOutput = z.object({ ...writeResult, groupId: z.string(), principalId: z.string() });

/** Adds or removes a member / owner; the group and the principal are resolved before anything is sent. */
async function changeReference(
  ctx: ActionContext,
  groupRef: string,
  principal: Promise<DirectoryObject>,
  rel: "members" | "owners",
  add: boolean,
) {
  const [group, who] = await Promise.all([resolve(ctx, "group", groupRef), principal]);
  ctx.setTarget(`group:${group.id}`);
  const changed = add
    ? await addReference(ctx, group, rel, who.id)
    : await removeReference(ctx, group, rel, who);
  return { changed, groupId: group.id, principalId: who.id };
}

const memberInput = z.object({ group: groupRef, user: userRef }).strict();
const ownerInput = z.object({ group: groupRef, owner: principalRef }).strict();

export const addUserToGroup = defineAction({
  name: "add-user-to-group",
  summary: "Add a user to a group; an existing member changes nothing",
  write: true,
  permissions: MEMBER_WRITE,
  input: memberInput,
  output: membershipOutput,
  run: (ctx, input) => changeReference(ctx, input.group, resolve(ctx, "user", input.user), "members", true),
});

export const removeUserFromGroup = defineAction({
  name: "remove-user-from-group",
  summary: "Remove a user from a group; a non-member changes nothing",
  write: true,
  permissions: MEMBER_WRITE,
  input: memberInput,
  output: membershipOutput,
  run: (ctx, input) => changeReference(ctx, input.group, resolve(ctx, "user", input.user), "members", false),
});

const ownerOf = (ctx: ActionContext, ref: string) => resolvePrincipal(ctx, ref).then((p) => p.object);

export const addGroupOwner = defineAction({
  name: "add-group-owner",
  summary: "Make a user (or app:<ref>) an owner of a group",
  write: true,
  permissions: MEMBER_WRITE,
  input: ownerInput,
  output: membershipOutput,
  run: (ctx, input) => changeReference(ctx, input.group, ownerOf(ctx, input.owner), "owners", true),
});

export const removeGroupOwner = defineAction({
  name: "remove-group-owner",
  summary: "Remove an owner from a group (a group keeps at least one)",
  write: true,
  permissions: MEMBER_WRITE,
  input: ownerInput,
  output: membershipOutput,
  run: (ctx, input) => changeReference(ctx, input.group, ownerOf(ctx, input.owner), "owners", false),
});

export const GROUP_ACTIONS = [
  createGroup,
  getGroup,
  updateGroup,
  deleteGroup,
  addUserToGroup,
  removeUserFromGroup,
  addGroupOwner,
  removeGroupOwner,
];
