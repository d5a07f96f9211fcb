/**
 * What each connector capability needs from Microsoft Graph, as alternatives: a capability is usable
 * when, for every requirement, at least one of its permissions is granted (docs/graph.md#permissions).
 * The first permission of each requirement is the least-privileged one and is what we tell users to add.
 */
export interface Capability {
  id: string;
  label: string;
  /** All of these must hold; each is satisfied by any one of its permissions. */
  requires: string[][];
  /** Set for a capability the connector works without: what is lost then. Never fails `check`. */
  optional?: string;
}

const READ_DIR = ["Directory.Read.All", "Directory.ReadWrite.All"];

export const CAPABILITIES: Capability[] = [
  { id: "sync.users", label: "sync users", requires: [["User.Read.All", "User.ReadWrite.All", ...READ_DIR]] },
  {
    id: "sync.groups",
    label: "sync groups",
    requires: [
      [
        "Group.Read.All",
        "Group.ReadWrite.All",
        "GroupMember.Read.All",
        "GroupMember.ReadWrite.All",
        ...READ_DIR,
      ],
    ],
  },
  {
    id: "sync.memberships",
    label: "sync memberships",
    requires: [
      [
        "GroupMember.Read.All",
        "GroupMember.ReadWrite.All",
        "Group.Read.All",
        "Group.ReadWrite.All",
        ...READ_DIR,
      ],
    ],
  },
  {
    id: "sync.apps",
    label: "sync apps and assignments",
    requires: [["Application.Read.All", "Application.ReadWrite.All", ...READ_DIR]],
  },
  {
    id: "sync.auditLog",
    label: "sync app assignment changes from the audit log",
    requires: [["AuditLog.Read.All"]],
    optional:
      "without it every incremental run re-reads every app's assignments (watch: at most once per --app-assignments-every, so changes arrive that late)",
  },
  {
    id: "sync.roles",
    label: "sync directory roles",
    requires: [
      [
        "RoleManagement.Read.Directory",
        "RoleManagement.ReadWrite.Directory",
        "RoleManagement.Read.All",
        ...READ_DIR,
      ],
    ],
  },
  {
    id: "sync.pim",
    label: "sync PIM eligibility",
    requires: [
      [
        "RoleEligibilitySchedule.Read.Directory",
        "RoleEligibilitySchedule.ReadWrite.Directory",
        "RoleManagement.Read.Directory",
        "RoleManagement.ReadWrite.Directory",
        "RoleManagement.Read.All",
      ],
    ],
  },
  {
    id: "sync.licenses",
    label: "sync licences",
    // subscribedSkus needs the organisation; each user's licences come with the user.
    requires: [
      ["User.Read.All", "User.ReadWrite.All", ...READ_DIR],
      ["Organization.Read.All", "LicenseAssignment.ReadWrite.All", ...READ_DIR],
    ],
  },
  {
    id: "write.users",
    label: "write users",
    requires: [["User.ReadWrite.All", "Directory.ReadWrite.All"]],
  },
  {
    id: "write.groups",
    label: "write groups",
    requires: [["Group.ReadWrite.All", "Directory.ReadWrite.All"]],
  },
  {
    id: "write.memberships",
    label: "write memberships",
    requires: [["GroupMember.ReadWrite.All", "Group.ReadWrite.All", "Directory.ReadWrite.All"]],
  },
  {
    id: "write.licenses",
    label: "write licences",
    requires: [["LicenseAssignment.ReadWrite.All", "User.ReadWrite.All", "Directory.ReadWrite.All"]],
  },
  {
    id: "write.roles",
    label: "write directory roles",
    requires: [["RoleManagement.ReadWrite.Directory"]],
  },
  {
    id: "write.appAssignments",
    label: "write app assignments",
    requires: [["AppRoleAssignment.ReadWrite.All", "Application.ReadWrite.All", "Directory.ReadWrite.All"]],
  },
];

export interface CapabilityResult {
  id: string;
  label: string;
  granted: boolean;
  /** The granted permission that satisfies each requirement. */
  grantedBy: string[];
  /** For each unmet requirement: the permission to add and the alternatives that would also do. */
  missing: { add: string; alternatives: string[] }[];
  /** An optional capability: what is lost without it. */
  optional?: string;
}

/**
 * Expands a selection such as `sync,write.users` into capability ids: a bare `sync` or `write` means all of
 * that kind. Unknown names are returned separately so the caller can report them.
 */
export function selectCapabilities(selection: string[]): { ids: string[]; unknown: string[] } {
  const ids: string[] = [];
  const unknown: string[] = [];
  for (const raw of selection.map((s) => s.trim()).filter(Boolean)) {
    const matches = CAPABILITIES.filter((c) => c.id === raw || c.id.startsWith(`${raw}.`));
    if (matches.length === 0) unknown.push(raw);
    for (const m of matches) if (!ids.includes(m.id)) ids.push(m.id);
  }
  return { ids, unknown };
}

/** Each selected capability, granted or not, with what to add (pure: permissions in, checklist out). */
export function evaluateCapabilities(granted: string[], ids: string[]): CapabilityResult[] {
  const have = new Set(granted.map((g) => g.toLowerCase()));
  return CAPABILITIES.filter((c) => ids.includes(c.id)).map((c) => {
    const grantedBy: string[] = [];
    const missing: CapabilityResult["missing"] = [];
    for (const alternatives of c.requires) {
      const hit = alternatives.find((p) => have.has(p.toLowerCase()));
      if (hit) grantedBy.push(hit);
      else missing.push({ add: alternatives[0]!, alternatives: alternatives.slice(1) });
    }
    const result: CapabilityResult = {
      id: c.id,
      label: c.label,
      granted: missing.length === 0,
      grantedBy,
      missing,
    };
    if (c.optional !== undefined) result.optional = c.optional;
    return result;
  });
}

/** The distinct permissions to add so every selected capability the connector needs becomes usable. */
export function permissionsToAdd(results: CapabilityResult[]): string[] {
  return [
    ...new Set(results.filter((r) => r.optional === undefined).flatMap((r) => r.missing.map((m) => m.add))),
  ];
}
