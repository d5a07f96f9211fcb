import {
  ASSIGNMENT_ACTIVITIES,
  AuditLog,
  auditTarget,
  auditTypeOf,
  OWNER_ACTIVITIES,
  RESTORE_ACTIVITIES,
} from "./audit-log.ts";
import { ChangeLog } from "./change-log.ts";
import { isoSeconds } from "./time.ts";
import type { DeletedRecord, GraphObject, HeldKind, ObjectKind, PrincipalKind, TenantInfo } from "./types.ts";

/**
 * The in-memory tenant: every object by id, memberships and ownerships as Sets in both directions,
 * secondary indexes for the lookups Graph does by value, and a change log the delta engine consumes.
 *
 * This class is mechanism only: it keeps the data and its indexes consistent and records every change.
 * Graph's validation rules (conflicts answered as errors, last owner, on-premises mastered, ...) live in
 * the route handlers, which check before calling these methods. `mutate` calls the same methods, so the
 * change log sees every change whoever made it.
 *
 * Sized for XL (100k users, 10k groups, ~1M memberships): ids are shared string references across the
 * maps and sets, unset properties are simply absent, and list arrays are cached until the kind changes.
 */
export class TenantModel {
  readonly info: TenantInfo;
  readonly changes = new ChangeLog();
  readonly audit = new AuditLog();
  /** Above 0 while a method changes relationships on its own behalf (delete, restore): see AuditLog. */
  #implied = 0;

  readonly #objects = new Map<ObjectKind, Map<string, GraphObject>>();
  /** group id → member ids, and the reverse (object id → group ids). */
  readonly #members = new Map<string, Set<string>>();
  readonly #memberOf = new Map<string, Set<string>>();
  /** group / service principal id → owner ids, and the reverse. */
  readonly #owners = new Map<string, Set<string>>();
  readonly #ownerOf = new Map<string, Set<string>>();
  readonly #deleted = new Map<string, DeletedRecord>();
  /** Lower-cased userPrincipalName / mail → user id. */
  readonly #userByUpn = new Map<string, string>();
  readonly #userByMail = new Map<string, string>();
  /** Lower-cased displayName → ids, per kind. */
  readonly #byDisplayName = new Map<ObjectKind, Map<string, Set<string>>>();
  /** appRoleAssignment ids by resource (service principal) and by principal. */
  readonly #assignmentsByResource = new Map<string, Set<string>>();
  readonly #assignmentsByPrincipal = new Map<string, Set<string>>();
  /** roleAssignment ids by principal. */
  readonly #roleAssignmentsByPrincipal = new Map<string, Set<string>>();
  /** user id → manager id, and manager id → direct reports. */
  readonly #manager = new Map<string, string>();
  readonly #directReports = new Map<string, Set<string>>();
  /** Insertion ordinal of each live object: the stable order lists are paged in. */
  readonly #ordinal = new Map<string, number>();
  #nextOrdinal = 1;
  readonly #listCache = new Map<ObjectKind, GraphObject[]>();

  constructor(info: TenantInfo) {
    this.info = info;
  }

  // ---- reading -------------------------------------------------------------------------------

  get(kind: ObjectKind, id: string): GraphObject | undefined {
    return this.#objects.get(kind)?.get(id);
  }

  count(kind: ObjectKind): number {
    return this.#objects.get(kind)?.size ?? 0;
  }

  /** Live objects of a kind in stable (insertion) order. Cached: do not mutate the array. */
  list(kind: ObjectKind): readonly GraphObject[] {
    let cached = this.#listCache.get(kind);
    if (!cached) {
      cached = Array.from(this.#objects.get(kind)?.values() ?? []);
      this.#listCache.set(kind, cached);
    }
    return cached;
  }

  /** The paging position of a live object (strictly increasing along `list(kind)`). */
  ordinalOf(id: string): number {
    return this.#ordinal.get(id) ?? 0;
  }

  /** A user, group or service principal by id (what Graph calls a directoryObject). */
  getPrincipal(id: string): { kind: PrincipalKind; object: GraphObject } | undefined {
    for (const kind of ["user", "group", "servicePrincipal"] as const) {
      const object = this.#objects.get(kind)?.get(id);
      if (object) return { kind, object };
    }
    return undefined;
  }

  /** The users, groups and service principals among `ids`, in order (unknown ids skipped). Hot path. */
  resolvePrincipals(ids: Iterable<string>): GraphObject[] {
    const users = this.#objects.get("user");
    const groups = this.#objects.get("group");
    const sps = this.#objects.get("servicePrincipal");
    const out: GraphObject[] = [];
    for (const id of ids) {
      const object = users?.get(id) ?? groups?.get(id) ?? sps?.get(id);
      if (object) out.push(object);
    }
    return out;
  }

  findUserByUpn(upn: string): GraphObject | undefined {
    const id = this.#userByUpn.get(upn.toLowerCase());
    return id === undefined ? undefined : this.get("user", id);
  }

  findUserByMail(mail: string): GraphObject | undefined {
    const id = this.#userByMail.get(mail.toLowerCase());
    return id === undefined ? undefined : this.get("user", id);
  }

  findByDisplayName(kind: ObjectKind, displayName: string): GraphObject[] {
    const ids = this.#byDisplayName.get(kind)?.get(displayName.toLowerCase());
    if (!ids) return [];
    const out: GraphObject[] = [];
    for (const id of ids) {
      const object = this.get(kind, id);
      if (object) out.push(object);
    }
    return out;
  }

  /** Direct member ids of a group (empty set for unknown ids). */
  membersOf(groupId: string): ReadonlySet<string> {
    return this.#members.get(groupId) ?? EMPTY;
  }

  /** Ids of the groups an object is a direct member of. */
  groupsOf(objectId: string): ReadonlySet<string> {
    return this.#memberOf.get(objectId) ?? EMPTY;
  }

  ownersOf(objectId: string): ReadonlySet<string> {
    return this.#owners.get(objectId) ?? EMPTY;
  }

  ownedBy(principalId: string): ReadonlySet<string> {
    return this.#ownerOf.get(principalId) ?? EMPTY;
  }

  /** Every member reached through nested groups, each once, in breadth-first order (cycles safe). */
  transitiveMembersOf(groupId: string): string[] {
    return walk(groupId, (id) => this.#members.get(id));
  }

  /** Every group reached upwards through nesting, each once. */
  transitiveGroupsOf(objectId: string): string[] {
    return walk(objectId, (id) => this.#memberOf.get(id));
  }

  assignmentsOfResource(servicePrincipalId: string): GraphObject[] {
    return this.#resolve("appRoleAssignment", this.#assignmentsByResource.get(servicePrincipalId));
  }

  assignmentsOfPrincipal(principalId: string): GraphObject[] {
    return this.#resolve("appRoleAssignment", this.#assignmentsByPrincipal.get(principalId));
  }

  roleAssignmentsOf(principalId: string): GraphObject[] {
    return this.#resolve("roleAssignment", this.#roleAssignmentsByPrincipal.get(principalId));
  }

  managerOf(userId: string): string | undefined {
    return this.#manager.get(userId);
  }

  directReportsOf(userId: string): ReadonlySet<string> {
    return this.#directReports.get(userId) ?? EMPTY;
  }

  getDeleted(id: string): DeletedRecord | undefined {
    return this.#deleted.get(id);
  }

  /** Soft-deleted objects, oldest deletion first. */
  deletedItems(kind?: ObjectKind): DeletedRecord[] {
    const out: DeletedRecord[] = [];
    for (const record of this.#deleted.values()) if (!kind || record.kind === kind) out.push(record);
    return out;
  }

  // ---- writing -------------------------------------------------------------------------------

  /** Adds a new object (its id must be fresh) and records `created`. */
  insert(kind: ObjectKind, object: GraphObject): GraphObject {
    this.#put(kind, object);
    this.changes.record(kind, object.id, "created");
    if (kind === "appRoleAssignment") this.#auditAssignment(object, "add");
    return object;
  }

  /**
   * Writes properties in place (null / undefined removes one) and records `updated` with the names.
   * Returns false when the object does not exist.
   */
  update(kind: ObjectKind, id: string, patch: Record<string, unknown>): boolean {
    const object = this.get(kind, id);
    if (!object) return false;
    const reindex = Object.keys(patch).some((key) => INDEXED.has(key));
    if (reindex) this.#unindex(kind, object);
    for (const [key, value] of Object.entries(patch)) {
      if (key === "id") continue;
      if (value === null || value === undefined) delete object[key];
      else object[key] = value;
    }
    if (reindex) this.#index(kind, object);
    this.changes.record(kind, id, "updated", { props: Object.keys(patch) });
    return true;
  }

  /**
   * Moves an object to deleted items. Its relationships leave the live directory with it, so no route
   * and no snapshot ever shows a deleted principal: memberships and ownerships, the app role
   * assignments, role assignments and role eligibilities it holds (kept in the record for restore),
   * and the licence seats it consumed (its `assignedLicenses` stay on the deleted object).
   */
  softDelete(kind: ObjectKind, id: string, now: number): DeletedRecord | undefined {
    const object = this.get(kind, id);
    if (!object) return undefined;
    const record: DeletedRecord = {
      kind,
      object,
      deletedAt: now,
      memberOf: [...this.groupsOf(id)],
      ownerOf: [...this.ownedBy(id)],
      members: [...this.membersOf(id)],
      owners: [...this.ownersOf(id)],
      held: [],
    };
    this.#detach(kind, id, record.held);
    for (const skuId of licensedSkus(object)) this.#adjustSeats(skuId, -1);
    object["deletedDateTime"] = isoSeconds(now);
    this.#deleted.set(id, record);
    this.changes.record(kind, id, "softDeleted");
    return record;
  }

  /** Deletes a live or soft-deleted object for good, with everything it held. */
  hardDelete(kind: ObjectKind, id: string): boolean {
    if (this.#deleted.get(id)?.kind === kind) {
      this.#deleted.delete(id);
    } else if (this.get(kind, id)) {
      const object = this.get(kind, id) as GraphObject;
      if (kind === "appRoleAssignment") this.#auditAssignment(object, "remove");
      this.#detach(kind, id, []);
      for (const skuId of licensedSkus(object)) this.#adjustSeats(skuId, -1);
    } else {
      return false;
    }
    this.changes.record(kind, id, "hardDeleted");
    return true;
  }

  /**
   * Brings a soft-deleted object back with its licence seats and the relationships whose other end
   * still exists (the group, the resource service principal, the role definition).
   */
  restore(id: string): DeletedRecord | undefined {
    const record = this.#deleted.get(id);
    if (!record) return undefined;
    this.#deleted.delete(id);
    delete record.object["deletedDateTime"];
    this.#put(record.kind, record.object);
    this.#retakeSeats(record.object);
    this.changes.record(record.kind, id, "restored");
    const type = auditTypeOf(record.kind);
    if (type) {
      const { name, category } = RESTORE_ACTIVITIES[type];
      this.audit.record(
        {
          category,
          activityDisplayName: name,
          targetResources: [auditTarget(record.kind, record.object, id)],
        },
        false,
      );
    }
    this.#implied += 1;
    try {
      this.#reattach(record, id);
    } finally {
      this.#implied -= 1;
    }
    return record;
  }

  #reattach(record: DeletedRecord, id: string): void {
    for (const held of record.held) {
      const other =
        held.kind === "appRoleAssignment"
          ? this.get("servicePrincipal", held.object["resourceId"] as string)
          : this.get("roleDefinition", held.object["roleDefinitionId"] as string);
      if (other) this.insert(held.kind, held.object);
    }
    for (const groupId of record.memberOf) if (this.get("group", groupId)) this.addMember(groupId, id);
    for (const ownedId of record.ownerOf) {
      const owned = this.get("group", ownedId) ? "group" : "servicePrincipal";
      if (this.get(owned, ownedId)) this.addOwner(owned, ownedId, id);
    }
    for (const memberId of record.members) if (this.getPrincipal(memberId)) this.addMember(id, memberId);
    for (const ownerId of record.owners)
      if (this.getPrincipal(ownerId)) this.addOwner(record.kind, id, ownerId);
  }

  /** Returns false when already a member. Both ends must exist (checked by the caller). */
  addMember(groupId: string, memberId: string): boolean {
    if (!link(this.#members, this.#memberOf, groupId, memberId)) return false;
    this.changes.record("group", groupId, "memberAdded", { ref: memberId });
    return true;
  }

  removeMember(groupId: string, memberId: string): boolean {
    if (!unlink(this.#members, this.#memberOf, groupId, memberId)) return false;
    this.changes.record("group", groupId, "memberRemoved", { ref: memberId });
    return true;
  }

  addOwner(kind: ObjectKind, objectId: string, ownerId: string): boolean {
    if (!link(this.#owners, this.#ownerOf, objectId, ownerId)) return false;
    this.changes.record(kind, objectId, "ownerAdded", { ref: ownerId });
    if (kind === "servicePrincipal") this.#auditOwner(objectId, ownerId, "add");
    return true;
  }

  removeOwner(kind: ObjectKind, objectId: string, ownerId: string): boolean {
    if (!unlink(this.#owners, this.#ownerOf, objectId, ownerId)) return false;
    this.changes.record(kind, objectId, "ownerRemoved", { ref: ownerId });
    if (kind === "servicePrincipal") this.#auditOwner(objectId, ownerId, "remove");
    return true;
  }

  /** Sets or clears a user's manager; recorded as an update of the `manager` relationship. */
  setManager(userId: string, managerId: string | undefined): void {
    const previous = this.#manager.get(userId);
    if (previous === managerId) return;
    if (previous !== undefined) removeFrom(this.#directReports, previous, userId);
    if (managerId === undefined) this.#manager.delete(userId);
    else {
      this.#manager.set(userId, managerId);
      addTo(this.#directReports, managerId, userId);
    }
    this.changes.record("user", userId, "updated", { props: ["manager"] });
  }

  /**
   * Replaces part of a user's `assignedLicenses` and keeps each SKU's `consumedUnits` in step.
   * Seat and usage-location checks belong to the caller.
   */
  assignLicenses(
    userId: string,
    add: { skuId: string; disabledPlans: string[] }[],
    remove: string[],
  ): boolean {
    const user = this.get("user", userId);
    if (!user) return false;
    const current =
      (user["assignedLicenses"] as { skuId: string; disabledPlans: string[] }[] | undefined) ?? [];
    const dropped = new Set([...remove, ...add.map((l) => l.skuId)]);
    const kept = current.filter((l) => !dropped.has(l.skuId));
    const next = [...kept, ...add.map((l) => ({ skuId: l.skuId, disabledPlans: [...l.disabledPlans] }))];
    const before = new Set(current.map((l) => l.skuId));
    const after = new Set(next.map((l) => l.skuId));
    for (const skuId of before) if (!after.has(skuId)) this.#adjustSeats(skuId, -1);
    for (const skuId of after) if (!before.has(skuId)) this.#adjustSeats(skuId, 1);
    this.update("user", userId, { assignedLicenses: next.length ? next : null });
    return true;
  }

  /** The subscribedSku object for a skuId (its Graph id is `{tenantId}_{skuId}`). */
  skuBySkuId(skuId: string): GraphObject | undefined {
    return this.get("subscribedSku", `${this.info.id}_${skuId}`);
  }

  // ---- internals -----------------------------------------------------------------------------

  /**
   * A restored user's licences take their seats again. One whose SKU has no free seat left is dropped:
   * Graph keeps it in an error state (licenseAssignmentStates), which the emulator does not model.
   */
  #retakeSeats(object: GraphObject): void {
    const licenses = object["assignedLicenses"] as { skuId: string }[] | undefined;
    if (!licenses) return;
    const kept = licenses.filter((l) => {
      const sku = this.skuBySkuId(l.skuId);
      const enabled = (sku?.["prepaidUnits"] as { enabled?: number } | undefined)?.enabled ?? 0;
      if (!sku || ((sku["consumedUnits"] as number) ?? 0) >= enabled) return false;
      this.#adjustSeats(l.skuId, 1);
      return true;
    });
    if (kept.length === licenses.length) return;
    if (kept.length > 0) object["assignedLicenses"] = kept;
    else delete object["assignedLicenses"];
  }

  #adjustSeats(skuId: string, delta: number): void {
    const sku = this.skuBySkuId(skuId);
    if (sku) sku["consumedUnits"] = Math.max(0, ((sku["consumedUnits"] as number) ?? 0) + delta);
  }

  #put(kind: ObjectKind, object: GraphObject): void {
    let map = this.#objects.get(kind);
    if (!map) {
      map = new Map();
      this.#objects.set(kind, map);
    }
    map.set(object.id, object);
    this.#ordinal.set(object.id, this.#nextOrdinal++);
    this.#listCache.delete(kind);
    this.#index(kind, object);
  }

  /**
   * Removes a live object and every relationship it takes part in, recording the group-side changes;
   * the assignments and eligibilities it held as principal are removed and pushed onto `held`.
   */
  #detach(kind: ObjectKind, id: string, held: DeletedRecord["held"]): void {
    this.#implied += 1;
    try {
      this.#detachAll(kind, id, held);
    } finally {
      this.#implied -= 1;
    }
  }

  #detachAll(kind: ObjectKind, id: string, held: DeletedRecord["held"]): void {
    const object = this.get(kind, id);
    if (!object) return;
    const heldIds: [HeldKind, Iterable<string>][] = !PRINCIPAL_KINDS.has(kind)
      ? []
      : [
          ["appRoleAssignment", [...(this.#assignmentsByPrincipal.get(id) ?? [])]],
          ["roleAssignment", [...(this.#roleAssignmentsByPrincipal.get(id) ?? [])]],
          [
            "roleEligibilitySchedule",
            this.list("roleEligibilitySchedule")
              .filter((s) => s["principalId"] === id)
              .map((s) => s.id),
          ],
        ];
    for (const [heldKind, ids] of heldIds) {
      for (const heldId of ids) {
        const heldObject = this.get(heldKind, heldId) as GraphObject;
        this.hardDelete(heldKind, heldId);
        held.push({ kind: heldKind, object: heldObject });
      }
    }
    for (const groupId of [...this.groupsOf(id)]) this.removeMember(groupId, id);
    for (const ownedId of [...this.ownedBy(id)]) {
      this.removeOwner(this.get("group", ownedId) ? "group" : "servicePrincipal", ownedId, id);
    }
    if (kind === "user") {
      this.setManager(id, undefined);
      for (const report of [...this.directReportsOf(id)]) this.setManager(report, undefined);
    }
    for (const memberId of [...this.membersOf(id)]) unlink(this.#members, this.#memberOf, id, memberId);
    for (const ownerId of [...this.ownersOf(id)]) unlink(this.#owners, this.#ownerOf, id, ownerId);
    this.#unindex(kind, object);
    this.#objects.get(kind)?.delete(id);
    this.#ordinal.delete(id);
    this.#listCache.delete(kind);
  }

  /** The principal is the first target, the resource service principal the second. */
  #auditAssignment(assignment: GraphObject, op: "add" | "remove"): void {
    if (!this.audit.clock) return;
    const principalId = assignment["principalId"] as string;
    const resourceId = assignment["resourceId"] as string;
    const principal = this.getPrincipal(principalId);
    const kind = principal?.kind ?? (assignment["principalType"] === "Group" ? "group" : "user");
    const type = auditTypeOf(kind) ?? "User";
    const quoted = (v: unknown) => (op === "add" ? JSON.stringify(String(v)) : null);
    const before = (v: unknown) => (op === "remove" ? JSON.stringify(String(v)) : null);
    const modified = [
      {
        displayName: "AppRole.Id",
        oldValue: before(assignment["appRoleId"]),
        newValue: quoted(assignment["appRoleId"]),
      },
      {
        displayName: "ServicePrincipal.ObjectID",
        oldValue: before(resourceId),
        newValue: quoted(resourceId),
      },
    ];
    const activity = ASSIGNMENT_ACTIVITIES[type];
    this.audit.record(
      {
        category: activity.category,
        activityDisplayName: op === "add" ? activity.add : activity.remove,
        targetResources: [
          auditTarget(kind, principal?.object, principalId, modified),
          auditTarget("servicePrincipal", this.get("servicePrincipal", resourceId), resourceId),
        ],
      },
      this.#implied > 0,
    );
  }

  /** The service principal is the first target, the owner the second. */
  #auditOwner(servicePrincipalId: string, ownerId: string, op: "add" | "remove"): void {
    if (!this.audit.clock) return;
    const owner = this.getPrincipal(ownerId);
    this.audit.record(
      {
        category: "ApplicationManagement",
        activityDisplayName: op === "add" ? OWNER_ACTIVITIES.add : OWNER_ACTIVITIES.remove,
        targetResources: [
          auditTarget(
            "servicePrincipal",
            this.get("servicePrincipal", servicePrincipalId),
            servicePrincipalId,
          ),
          auditTarget(owner?.kind ?? "user", owner?.object, ownerId),
        ],
      },
      this.#implied > 0,
    );
  }

  #index(kind: ObjectKind, object: GraphObject): void {
    const name = object["displayName"];
    if (typeof name === "string") addTo(this.#displayNameIndex(kind), name.toLowerCase(), object.id);
    if (kind === "user") {
      const upn = object["userPrincipalName"];
      const mail = object["mail"];
      if (typeof upn === "string") this.#userByUpn.set(upn.toLowerCase(), object.id);
      if (typeof mail === "string") this.#userByMail.set(mail.toLowerCase(), object.id);
    } else if (kind === "appRoleAssignment") {
      addTo(this.#assignmentsByResource, object["resourceId"] as string, object.id);
      addTo(this.#assignmentsByPrincipal, object["principalId"] as string, object.id);
    } else if (kind === "roleAssignment") {
      addTo(this.#roleAssignmentsByPrincipal, object["principalId"] as string, object.id);
    }
  }

  #unindex(kind: ObjectKind, object: GraphObject): void {
    const name = object["displayName"];
    if (typeof name === "string") removeFrom(this.#displayNameIndex(kind), name.toLowerCase(), object.id);
    if (kind === "user") {
      const upn = object["userPrincipalName"];
      const mail = object["mail"];
      if (typeof upn === "string") this.#userByUpn.delete(upn.toLowerCase());
      if (typeof mail === "string") this.#userByMail.delete(mail.toLowerCase());
    } else if (kind === "appRoleAssignment") {
      removeFrom(this.#assignmentsByResource, object["resourceId"] as string, object.id);
      removeFrom(this.#assignmentsByPrincipal, object["principalId"] as string, object.id);
    } else if (kind === "roleAssignment") {
      removeFrom(this.#roleAssignmentsByPrincipal, object["principalId"] as string, object.id);
    }
  }

  #displayNameIndex(kind: ObjectKind): Map<string, Set<string>> {
    let index = this.#byDisplayName.get(kind);
    if (!index) {
      index = new Map();
      this.#byDisplayName.set(kind, index);
    }
    return index;
  }

  #resolve(kind: ObjectKind, ids: Set<string> | undefined): GraphObject[] {
    const out: GraphObject[] = [];
    if (ids) for (const id of ids) out.push(this.get(kind, id) as GraphObject);
    return out;
  }
}

const EMPTY: ReadonlySet<string> = new Set();
const PRINCIPAL_KINDS: ReadonlySet<ObjectKind> = new Set(["user", "group", "servicePrincipal"]);

function licensedSkus(object: GraphObject): string[] {
  const licenses = object["assignedLicenses"] as { skuId: string }[] | undefined;
  return licenses ? licenses.map((l) => l.skuId) : [];
}

/** Properties the secondary indexes are built from: only updates touching them re-index. */
const INDEXED = new Set(["displayName", "userPrincipalName", "mail", "resourceId", "principalId"]);

function addTo(map: Map<string, Set<string>>, key: string, value: string): void {
  const set = map.get(key);
  if (set) set.add(value);
  else map.set(key, new Set([value]));
}

function removeFrom(map: Map<string, Set<string>>, key: string, value: string): void {
  const set = map.get(key);
  if (!set) return;
  set.delete(value);
  if (set.size === 0) map.delete(key);
}

function link(
  forward: Map<string, Set<string>>,
  reverse: Map<string, Set<string>>,
  a: string,
  b: string,
): boolean {
  if (forward.get(a)?.has(b)) return false;
  addTo(forward, a, b);
  addTo(reverse, b, a);
  return true;
}

function unlink(
  forward: Map<string, Set<string>>,
  reverse: Map<string, Set<string>>,
  a: string,
  b: string,
): boolean {
  if (!forward.get(a)?.has(b)) return false;
  removeFrom(forward, a, b);
  removeFrom(reverse, b, a);
  return true;
}

function walk(start: string, next: (id: string) => Set<string> | undefined): string[] {
  const seen = new Set<string>([start]);
  const out: string[] = [];
  const queue = [start];
  for (let i = 0; i < queue.length; i++) {
    const edges = next(queue[i] as string);
    if (!edges) continue;
    for (const id of edges) {
      if (seen.has(id)) continue;
      seen.add(id);
      out.push(id);
      queue.push(id);
    }
  }
  return out;
}
