import type { GraphObject, ObjectKind } from "./types.ts";

/**
 * The directory audit log (`/auditLogs/directoryAudits`), for what Graph has no delta for: app role
 * assignments and service principal owners added or removed, and principals restored (which brings
 * their assignments back). Entries are appended oldest first; the route serves them newest first.
 *
 * Nothing is recorded until `clock` is set (the generator builds the tenant's history without it), and
 * changes a model method makes on its own behalf (a deleted principal's assignments and ownerships, a
 * restored one's) are recorded only while `impliedChanges()` says so: whether Graph logs those apart
 * is not documented (the emulator's `auditImpliedChanges` knob).
 */
export class AuditLog {
  clock: (() => number) | undefined;
  impliedChanges: () => boolean = () => false;
  readonly #entries: AuditEntry[] = [];
  #seq = 0;

  get entries(): readonly AuditEntry[] {
    return this.#entries;
  }

  record(
    input: { category: string; activityDisplayName: string; targetResources: AuditTarget[] },
    implied: boolean,
  ): void {
    if (!this.clock || (implied && !this.impliedChanges())) return;
    const at = this.clock();
    this.#seq += 1;
    const seq = this.#seq;
    const hex = seq.toString(16).padStart(12, "0");
    this.#entries.push({
      id: `Directory_${hex.slice(0, 5)}_${hex.slice(5)}`,
      seq,
      at,
      activityDateTime: new Date(at).toISOString(),
      correlationId: `00000000-0000-4000-8000-${hex}`,
      loggedByService: "Core Directory",
      operationType: input.activityDisplayName.startsWith("Remove") ? "Unassign" : "Assign",
      result: "success",
      resultReason: "",
      additionalDetails: [],
      initiatedBy: {
        app: { appId: null, displayName: "graph-emulator", servicePrincipalId: null },
        user: null,
      },
      ...input,
    });
  }

  /** Drops entries older than `before` (retention). */
  prune(before: number): void {
    let n = 0;
    while (n < this.#entries.length && (this.#entries[n] as AuditEntry).at < before) n += 1;
    if (n > 0) this.#entries.splice(0, n);
  }
}

export interface AuditEntry extends GraphObject {
  seq: number;
  /** Epoch ms of the change (internal: visibility and retention). */
  at: number;
  category: string;
  activityDisplayName: string;
  activityDateTime: string;
  correlationId: string;
  loggedByService: string;
  operationType: string;
  result: string;
  resultReason: string;
  additionalDetails: unknown[];
  initiatedBy: Record<string, unknown>;
  targetResources: AuditTarget[];
}

export interface AuditTarget {
  id: string;
  type: "User" | "Group" | "ServicePrincipal";
  displayName: string | null;
  userPrincipalName?: string | null;
  modifiedProperties: { displayName: string; oldValue: string | null; newValue: string | null }[];
}

const TYPE: Partial<Record<ObjectKind, AuditTarget["type"]>> = {
  user: "User",
  group: "Group",
  servicePrincipal: "ServicePrincipal",
};

/** Activity names and categories as Entra's audit log spells them. */
export const ASSIGNMENT_ACTIVITIES: Record<
  AuditTarget["type"],
  { add: string; remove: string; category: string }
> = {
  User: {
    add: "Add app role assignment grant to user",
    remove: "Remove app role assignment from user",
    category: "UserManagement",
  },
  Group: {
    add: "Add app role assignment to group",
    remove: "Remove app role assignment from group",
    category: "GroupManagement",
  },
  ServicePrincipal: {
    add: "Add app role assignment to service principal",
    remove: "Remove app role assignment from service principal",
    category: "ApplicationManagement",
  },
};
export const OWNER_ACTIVITIES = {
  add: "Add owner to service principal",
  remove: "Remove owner from service principal",
};
export const RESTORE_ACTIVITIES: Record<AuditTarget["type"], { name: string; category: string }> = {
  User: { name: "Restore user", category: "UserManagement" },
  Group: { name: "Restore group", category: "GroupManagement" },
  ServicePrincipal: { name: "Restore service principal", category: "ApplicationManagement" },
};

export function auditTarget(
  kind: ObjectKind,
  object: GraphObject | undefined,
  id: string,
  modified: AuditTarget["modifiedProperties"] = [],
): AuditTarget {
  const target: AuditTarget = {
    id,
    type: TYPE[kind] ?? "User",
    displayName:
      object && typeof object["displayName"] === "string" ? (object["displayName"] as string) : null,
    modifiedProperties: modified,
  };
  if (kind === "user")
    target.userPrincipalName = (object?.["userPrincipalName"] as string | undefined) ?? null;
  return target;
}

export function auditTypeOf(kind: ObjectKind): AuditTarget["type"] | undefined {
  return TYPE[kind];
}
