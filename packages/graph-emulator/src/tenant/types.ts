/**
 * Shapes of the in-memory tenant. Objects are stored with Graph property names, exactly as the
 * service would return them (minus unset properties, which projection fills with null / []),
 * so that serving a page is a projection, never a translation.
 */

/** A stored directory object: Graph property names, `id` always present. */
export type GraphObject = { id: string } & Record<string, unknown>;

/** Every kind of object the tenant stores. The first four are the ones delta tracks. */
export type ObjectKind =
  | "user"
  | "group"
  | "servicePrincipal"
  | "application"
  | "appRoleAssignment"
  | "directoryRole"
  | "roleDefinition"
  | "roleAssignment"
  | "roleEligibilitySchedule"
  | "subscribedSku";

export const OBJECT_KINDS: readonly ObjectKind[] = [
  "user",
  "group",
  "servicePrincipal",
  "application",
  "appRoleAssignment",
  "directoryRole",
  "roleDefinition",
  "roleAssignment",
  "roleEligibilitySchedule",
  "subscribedSku",
];

/** Kinds that can be members / owners of groups (directoryObjects in Graph terms). */
export type PrincipalKind = "user" | "group" | "servicePrincipal";

/**
 * What happened to an object. `ref` names the other end for membership / ownership changes.
 * softDeleted = moved to deleted items (restorable, delta says @removed "changed");
 * hardDeleted = gone for good (delta says @removed "deleted").
 */
export type ChangeOp =
  | "created"
  | "updated"
  | "softDeleted"
  | "hardDeleted"
  | "restored"
  | "memberAdded"
  | "memberRemoved"
  | "ownerAdded"
  | "ownerRemoved";

export interface ChangeEntry {
  /** Tenant-wide, strictly increasing. */
  seq: number;
  kind: ObjectKind;
  id: string;
  op: ChangeOp;
  /** The member / owner id for membership and ownership changes. */
  ref?: string;
  /** Property names written by an update (for `Prefer: return=minimal`). */
  props?: string[];
}

/** A soft-deleted object, kept with the relationships it had so a restore brings them back. */
export interface DeletedRecord {
  kind: ObjectKind;
  object: GraphObject;
  deletedAt: number;
  memberOf: string[];
  ownerOf: string[];
  members: string[];
  owners: string[];
  /** App role assignments, role assignments and role eligibilities the object held as principal. */
  held: { kind: HeldKind; object: GraphObject }[];
}

/** Objects that exist only for a principal: hidden while it is deleted, back when it is restored. */
export type HeldKind = "appRoleAssignment" | "roleAssignment" | "roleEligibilitySchedule";

export interface TenantInfo {
  id: string;
  displayName: string;
  /** Verified domains; the first is the initial `*.onmicrosoft.com` domain. */
  domains: string[];
  /** Whether the tenant holds an Entra ID P2 licence (PIM answers 403 without it). */
  hasP2: boolean;
}
