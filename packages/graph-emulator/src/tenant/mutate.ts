import { DEPARTMENTS, FIRST_NAMES, JOB_TITLES, LAST_NAMES } from "./catalog.ts";
import { appRoleAssignment, assignmentId, DEFAULT_ACCESS_ROLE } from "./generator-directory.ts";
import type { TenantModel } from "./model.ts";
import { createRandom, type Random } from "./random.ts";
import { activateRole, directoryRoleFor, eligibilitySchedule, scheduleInfo } from "./roles.ts";
import { isoSeconds } from "./time.ts";
import type { DeletedRecord, GraphObject } from "./types.ts";

/** One change `mutate` made, for the caller to check its sync against. */
export interface MutationRecord {
  op: string;
  kind: "user" | "group" | "servicePrincipal" | "roleAssignment" | "roleEligibilitySchedule";
  id: string;
  /** The other end (member, owner, sku, role, resource) where there is one. */
  ref?: string;
  props?: string[];
}

type Mutation = (m: Mutator) => MutationRecord | undefined;

/**
 * N random, realistic changes through the model's own methods, so the change log (and delta) sees them
 * exactly as it sees changes made through Graph. Cloud-only objects are chosen, since Graph cannot
 * write on-premises-mastered ones either. Deterministic for a given seed and tenant state.
 */
export function mutateTenant(
  model: TenantModel,
  options: { count: number; seed: number; now: number },
): MutationRecord[] {
  const m = new Mutator(model, createRandom(options.seed), options.now);
  const out: MutationRecord[] = [];
  let attempts = 0;
  while (out.length < options.count && attempts < options.count * 20) {
    attempts += 1;
    const record = m.random.pick(MUTATIONS)(m);
    if (record) out.push(record);
  }
  return out;
}

class Mutator {
  readonly model: TenantModel;
  readonly random: Random;
  readonly now: number;
  readonly users: readonly GraphObject[];
  readonly groups: readonly GraphObject[];

  constructor(model: TenantModel, random: Random, now: number) {
    this.model = model;
    this.random = random;
    this.now = now;
    this.users = model.list("user");
    this.groups = model.list("group");
  }

  /** A live, cloud-only user (or undefined after a few misses). */
  user(): GraphObject | undefined {
    for (let i = 0; i < 10 && this.users.length > 0; i++) {
      const user = this.random.pick(this.users);
      if (this.model.get("user", user.id) && user["onPremisesSyncEnabled"] !== true) return user;
    }
    return undefined;
  }

  /** Deleted items whose soft deletion is in the change log (made after the tenant was generated). */
  deletedSinceStart(): DeletedRecord[] {
    const ids = new Set<string>();
    for (const kind of ["user", "group"] as const) {
      for (const e of this.model.changes.since(kind, 0)) if (e.op === "softDeleted") ids.add(e.id);
    }
    return this.model.deletedItems().filter((r) => ids.has(r.object.id));
  }

  /** A live group whose membership Graph lets one change (assigned, cloud-only, not mail-enabled security). */
  group(filter: (g: GraphObject) => boolean = () => true): GraphObject | undefined {
    for (let i = 0; i < 10 && this.groups.length > 0; i++) {
      const group = this.random.pick(this.groups);
      if (!this.model.get("group", group.id) || group["onPremisesSyncEnabled"] === true) continue;
      const types = group["groupTypes"] as string[];
      if (types.includes("DynamicMembership")) continue;
      if (group["mailEnabled"] === true && !types.includes("Unified")) continue;
      if (filter(group)) return group;
    }
    return undefined;
  }
}

const MUTATIONS: readonly Mutation[] = [
  (m) => {
    const [, domain] = m.model.info.domains as [string, string];
    const given = m.random.pick(FIRST_NAMES);
    const surname = m.random.pick(LAST_NAMES);
    const nick = `${given}.${surname}.${m.random.int(1e9)}`
      .normalize("NFD")
      .replace(/[^A-Za-z0-9.]/g, "")
      .toLowerCase();
    const user = m.model.insert("user", {
      id: m.random.uuid(),
      displayName: `${given} ${surname}`,
      givenName: given,
      surname,
      userPrincipalName: `${nick}@${domain}`,
      mail: `${nick}@${domain}`,
      mailNickname: nick,
      accountEnabled: true,
      userType: "Member",
      department: m.random.pick(DEPARTMENTS),
      jobTitle: m.random.pick(JOB_TITLES),
      usageLocation: "US",
      businessPhones: [],
      createdDateTime: isoSeconds(m.now),
    });
    return { op: "createUser", kind: "user", id: user.id };
  },
  (m) => {
    const user = m.user();
    if (!user) return undefined;
    const patch = m.random.chance(0.5)
      ? { jobTitle: m.random.pick(JOB_TITLES) }
      : { department: m.random.pick(DEPARTMENTS) };
    m.model.update("user", user.id, patch);
    return { op: "updateUser", kind: "user", id: user.id, props: Object.keys(patch) };
  },
  (m) => {
    const user = m.user();
    if (!user) return undefined;
    const enabled = user["accountEnabled"] !== true;
    m.model.update("user", user.id, { accountEnabled: enabled });
    return {
      op: enabled ? "enableUser" : "disableUser",
      kind: "user",
      id: user.id,
      props: ["accountEnabled"],
    };
  },
  (m) => {
    const user = m.user();
    if (!user || user["displayName"] === "Emulator Admin") return undefined;
    m.model.softDelete("user", user.id, m.now);
    return { op: "deleteUser", kind: "user", id: user.id };
  },
  (m) => {
    const deleted = m.model.deletedItems("user");
    if (deleted.length === 0) return undefined;
    const record = m.random.pick(deleted);
    const upn = String(record.object["userPrincipalName"]);
    if (m.model.findUserByUpn(upn)) return undefined;
    m.model.restore(record.object.id);
    return { op: "restoreUser", kind: "user", id: record.object.id };
  },
  (m) => {
    // Someone empties the recycle bin of a user or group deleted while the emulator ran: gone for good.
    // (The generated deleted items are history; purging them is left to DELETE /directory/deletedItems.)
    const deleted = m.deletedSinceStart();
    if (deleted.length === 0) return undefined;
    const { kind, object } = m.random.pick(deleted);
    if (kind !== "user" && kind !== "group") return undefined;
    m.model.hardDelete(kind, object.id);
    return { op: kind === "user" ? "purgeUser" : "purgeGroup", kind, id: object.id };
  },
  (m) => {
    const group = m.group();
    const user = m.user();
    if (!group || !user || !m.model.addMember(group.id, user.id)) return undefined;
    return { op: "addMember", kind: "group", id: group.id, ref: user.id };
  },
  (m) => {
    const group = m.group((g) => m.model.membersOf(g.id).size > 0);
    if (!group) return undefined;
    const members = [...m.model.membersOf(group.id)];
    const member = m.random.pick(members);
    m.model.removeMember(group.id, member);
    return { op: "removeMember", kind: "group", id: group.id, ref: member };
  },
  (m) => {
    const group = m.group();
    const user = m.user();
    if (!group || !user || !m.model.addOwner("group", group.id, user.id)) return undefined;
    return { op: "addOwner", kind: "group", id: group.id, ref: user.id };
  },
  (m) => {
    // Microsoft 365 groups keep at least one owner, as Graph insists.
    const group = m.group((g) => {
      const owners = m.model.ownersOf(g.id).size;
      return (g["groupTypes"] as string[]).includes("Unified") ? owners > 1 : owners > 0;
    });
    if (!group) return undefined;
    const owner = m.random.pick([...m.model.ownersOf(group.id)]);
    m.model.removeOwner("group", group.id, owner);
    return { op: "removeOwner", kind: "group", id: group.id, ref: owner };
  },
  (m) => {
    const unified = m.random.chance(0.4);
    const department = m.random.pick(DEPARTMENTS);
    const name = `${department} ${unified ? "Project" : "Access"} ${m.random.int(1e6)}`;
    const nick = name.replace(/[^A-Za-z0-9]/g, "").toLowerCase();
    const domain = m.model.info.domains[1];
    const group = m.model.insert("group", {
      id: m.random.uuid(),
      displayName: name,
      description: name,
      groupTypes: unified ? ["Unified"] : [],
      mailEnabled: unified,
      mailNickname: nick,
      securityEnabled: !unified,
      createdDateTime: isoSeconds(m.now),
      proxyAddresses: unified ? [`SMTP:${nick}@${domain}`] : [],
      ...(unified ? { mail: `${nick}@${domain}`, visibility: "Private" } : {}),
    });
    const owner = m.user();
    if (owner) m.model.addOwner("group", group.id, owner.id);
    return { op: "createGroup", kind: "group", id: group.id };
  },
  (m) => {
    const group = m.group();
    if (!group) return undefined;
    m.model.update("group", group.id, { description: `Updated ${isoSeconds(m.now)} #${m.random.int(1e6)}` });
    return { op: "updateGroup", kind: "group", id: group.id, props: ["description"] };
  },
  (m) => {
    const group = m.group();
    if (!group) return undefined;
    // Microsoft 365 groups are soft-deleted; security groups are gone for good (§5).
    if ((group["groupTypes"] as string[]).includes("Unified")) m.model.softDelete("group", group.id, m.now);
    else m.model.hardDelete("group", group.id);
    return { op: "deleteGroup", kind: "group", id: group.id };
  },
  (m) => {
    const user = m.user();
    const skus = m.model.list("subscribedSku");
    if (!user || user["usageLocation"] === undefined || skus.length === 0) return undefined;
    const sku = m.random.pick(skus);
    const held = (user["assignedLicenses"] as { skuId: string }[] | undefined) ?? [];
    const skuId = sku["skuId"] as string;
    if (held.some((l) => l.skuId === skuId)) {
      m.model.assignLicenses(user.id, [], [skuId]);
      return { op: "removeLicense", kind: "user", id: user.id, ref: skuId, props: ["assignedLicenses"] };
    }
    const seats = (sku["prepaidUnits"] as { enabled: number }).enabled;
    if ((sku["consumedUnits"] as number) >= seats) return undefined;
    m.model.assignLicenses(user.id, [{ skuId, disabledPlans: [] }], []);
    return { op: "assignLicense", kind: "user", id: user.id, ref: skuId, props: ["assignedLicenses"] };
  },
  (m) => {
    const user = m.user();
    const definitions = m.model.list("roleDefinition");
    if (!user || definitions.length === 0) return undefined;
    const definition = m.random.pick(definitions);
    const existing = m.model.roleAssignmentsOf(user.id).find((a) => a["roleDefinitionId"] === definition.id);
    if (existing) {
      m.model.hardDelete("roleAssignment", existing.id);
      return { op: "removeRoleAssignment", kind: "roleAssignment", id: existing.id, ref: definition.id };
    }
    // Assigning a role that is not activated yet activates it, as Graph does.
    if (!directoryRoleFor(m.model, definition.id)) activateRole(m.model, definition, m.random.uuid());
    const assignment = m.model.insert("roleAssignment", {
      id: `${assignmentId(m.random)}-1`,
      principalId: user.id,
      roleDefinitionId: definition.id,
      directoryScopeId: "/",
    });
    return { op: "addRoleAssignment", kind: "roleAssignment", id: assignment.id, ref: definition.id };
  },
  (m) => {
    // PIM: an eligibility ends, or a user becomes eligible for a role (P2 tenants only).
    if (!m.model.info.hasP2) return undefined;
    const schedules = m.model.list("roleEligibilitySchedule");
    if (schedules.length > 0 && m.random.chance(0.4)) {
      const ended = m.random.pick(schedules);
      m.model.hardDelete("roleEligibilitySchedule", ended.id);
      const ref = ended["roleDefinitionId"] as string;
      return { op: "removeRoleEligibility", kind: "roleEligibilitySchedule", id: ended.id, ref };
    }
    const user = m.user();
    const definitions = m.model.list("roleDefinition");
    if (!user || definitions.length === 0) return undefined;
    const definition = m.random.pick(definitions);
    if (schedules.some((s) => s["principalId"] === user.id && s["roleDefinitionId"] === definition.id))
      return undefined;
    const end = m.random.chance(0.5) ? m.now + 365 * 86_400_000 : undefined;
    const schedule = m.model.insert(
      "roleEligibilitySchedule",
      eligibilitySchedule({
        id: m.random.uuid(),
        principalId: user.id,
        roleDefinitionId: definition.id,
        created: m.now,
        scheduleInfo: scheduleInfo(m.now, end),
      }),
    );
    return { op: "addRoleEligibility", kind: "roleEligibilitySchedule", id: schedule.id, ref: definition.id };
  },
  (m) => {
    const user = m.user();
    const sps = m.model.list("servicePrincipal").filter((s) => s["servicePrincipalType"] === "Application");
    if (!user || sps.length === 0) return undefined;
    const sp = m.random.pick(sps);
    const existing = m.model.assignmentsOfPrincipal(user.id).find((a) => a["resourceId"] === sp.id);
    if (existing) {
      m.model.hardDelete("appRoleAssignment", existing.id);
      return { op: "removeAppRoleAssignment", kind: "servicePrincipal", id: sp.id, ref: user.id };
    }
    const roles = (sp["appRoles"] as { id: string }[] | undefined) ?? [];
    const roleId = roles.length ? m.random.pick(roles).id : DEFAULT_ACCESS_ROLE;
    m.model.insert("appRoleAssignment", appRoleAssignment(m.random, user, "User", sp, roleId, m.now));
    return { op: "addAppRoleAssignment", kind: "servicePrincipal", id: sp.id, ref: user.id };
  },
  (m) => {
    // An enterprise app gains or loses an owner, or a group gains or loses an app role (no delta for
    // assignments; the audit log records both).
    const sps = m.model.list("servicePrincipal").filter((s) => s["servicePrincipalType"] === "Application");
    if (sps.length === 0) return undefined;
    const sp = m.random.pick(sps);
    if (m.random.chance(0.5)) {
      const owners = [...m.model.ownersOf(sp.id)];
      if (owners.length > 0 && m.random.chance(0.5)) {
        const owner = m.random.pick(owners);
        m.model.removeOwner("servicePrincipal", sp.id, owner);
        return { op: "removeAppOwner", kind: "servicePrincipal", id: sp.id, ref: owner };
      }
      const user = m.user();
      if (!user || !m.model.addOwner("servicePrincipal", sp.id, user.id)) return undefined;
      return { op: "addAppOwner", kind: "servicePrincipal", id: sp.id, ref: user.id };
    }
    const group = m.group((g) => g["securityEnabled"] === true);
    if (!group) return undefined;
    const existing = m.model.assignmentsOfPrincipal(group.id).find((a) => a["resourceId"] === sp.id);
    if (existing) {
      m.model.hardDelete("appRoleAssignment", existing.id);
      return { op: "removeAppRoleAssignment", kind: "servicePrincipal", id: sp.id, ref: group.id };
    }
    const roles = (sp["appRoles"] as { id: string }[] | undefined) ?? [];
    const roleId = roles.length ? m.random.pick(roles).id : DEFAULT_ACCESS_ROLE;
    m.model.insert("appRoleAssignment", appRoleAssignment(m.random, group, "Group", sp, roleId, m.now));
    return { op: "addAppRoleAssignment", kind: "servicePrincipal", id: sp.id, ref: group.id };
  },
];
