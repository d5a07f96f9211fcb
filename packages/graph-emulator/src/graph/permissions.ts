/**
 * Which Microsoft Graph application permissions (token `roles`) or delegated scopes (`scp`) allow each
 * capability. A route names one of these sets; the caller needs any one permission in it
 * (docs/graph.md#permissions). Write sets never include read-only permissions.
 */
export const PERMISSIONS = {
  usersRead: [
    "User.Read.All",
    "User.ReadWrite.All",
    "User.ReadBasic.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
  ],
  usersWrite: ["User.ReadWrite.All", "Directory.ReadWrite.All"],
  groupsRead: [
    "Group.Read.All",
    "Group.ReadWrite.All",
    "GroupMember.Read.All",
    "GroupMember.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
  ],
  groupsWrite: ["Group.ReadWrite.All", "Directory.ReadWrite.All"],
  membersWrite: ["GroupMember.ReadWrite.All", "Group.ReadWrite.All", "Directory.ReadWrite.All"],
  /** memberOf of a user lists groups and roles. */
  memberOfRead: [
    "Directory.Read.All",
    "Directory.ReadWrite.All",
    "GroupMember.Read.All",
    "GroupMember.ReadWrite.All",
    "Group.Read.All",
    "Group.ReadWrite.All",
    "User.Read.All",
    "User.ReadWrite.All",
  ],
  appsRead: [
    "Application.Read.All",
    "Application.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
  ],
  appsWrite: ["Application.ReadWrite.All", "Directory.ReadWrite.All"],
  appRoleAssignmentsWrite: [
    "AppRoleAssignment.ReadWrite.All",
    "Application.ReadWrite.All",
    "Directory.ReadWrite.All",
  ],
  rolesRead: [
    "RoleManagement.Read.Directory",
    "RoleManagement.ReadWrite.Directory",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
  ],
  rolesWrite: ["RoleManagement.ReadWrite.Directory"],
  eligibilityRead: [
    "RoleEligibilitySchedule.Read.Directory",
    "RoleManagement.Read.Directory",
    "RoleManagement.ReadWrite.Directory",
  ],
  eligibilityWrite: ["RoleEligibilitySchedule.ReadWrite.Directory", "RoleManagement.ReadWrite.Directory"],
  licensesRead: [
    "Organization.Read.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
    "LicenseAssignment.ReadWrite.All",
    "User.Read.All",
    "User.ReadWrite.All",
  ],
  licensesWrite: ["User.ReadWrite.All", "LicenseAssignment.ReadWrite.All", "Directory.ReadWrite.All"],
  organizationRead: [
    "Organization.Read.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
    "User.Read.All",
    "User.ReadBasic.All",
  ],
  deletedRead: [
    "User.Read.All",
    "User.ReadWrite.All",
    "Group.Read.All",
    "Group.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
  ],
  deletedWrite: ["User.ReadWrite.All", "Group.ReadWrite.All", "Directory.ReadWrite.All"],
  /** Reading any kind of directory object (directoryObjects/{id}, getByIds). */
  directoryRead: [
    "Directory.Read.All",
    "Directory.ReadWrite.All",
    "User.Read.All",
    "User.ReadWrite.All",
    "Group.Read.All",
    "Group.ReadWrite.All",
    "Application.Read.All",
    "Application.ReadWrite.All",
  ],
  /** Anyone holding a valid token ($batch checks each inner request itself). */
  any: [],
} as const satisfies Record<string, readonly string[]>;

/** The application permissions `--permissions read` and `--permissions write` grant. */
export const PERMISSION_PRESETS: Record<"read" | "write", readonly string[]> = {
  read: [
    "User.Read.All",
    "Group.Read.All",
    "GroupMember.Read.All",
    "Directory.Read.All",
    "Application.Read.All",
    "RoleManagement.Read.Directory",
    "RoleEligibilitySchedule.Read.Directory",
    "RoleAssignmentSchedule.Read.Directory",
    "AuditLog.Read.All",
    "Organization.Read.All",
  ],
  write: [
    "User.ReadWrite.All",
    "Group.ReadWrite.All",
    "GroupMember.ReadWrite.All",
    "Directory.ReadWrite.All",
    "Application.ReadWrite.All",
    "AppRoleAssignment.ReadWrite.All",
    "RoleManagement.ReadWrite.Directory",
    "RoleEligibilitySchedule.ReadWrite.Directory",
    "LicenseAssignment.ReadWrite.All",
    "AuditLog.Read.All",
    "Organization.Read.All",
  ],
};

/** Expands `read`, `write` or a comma-separated list of permission names. */
export function resolvePermissions(spec: string | readonly string[]): string[] {
  if (typeof spec !== "string") return [...spec];
  if (spec === "read" || spec === "write") return [...PERMISSION_PRESETS[spec]];
  return spec
    .split(",")
    .map((p) => p.trim())
    .filter((p) => p.length > 0);
}
