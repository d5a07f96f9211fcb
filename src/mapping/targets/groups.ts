/**
 * Group provisioning beside the users: each included source group becomes one target group whose members
 * are the group's users that the mapping provisions, as the target knows them (target user ids). Members
 * outside the mapping's scope are never pushed, so a group never drags in users the mapping excludes.
 * A group pushed before that is deleted or no longer included gets the mapping's `onLeave`: deleted,
 * left alone, or (disable, since a SCIM Group has no `active`) kept with no members.
 */
import { isConnectorError } from "../../errors.ts";
import { type GroupsSpec, type LeaveReason, leavePolicy, type Mapping } from "../definition.ts";
import { compileExpression } from "../expression/index.ts";
import type { GroupTarget } from "./target.ts";

export interface SourceGroup {
  id: string;
  /** The group's properties, read by the `displayName` and `externalId` expressions. */
  data: Record<string, unknown>;
  /** Source user ids of its members (nested members included, as the caller resolved them). */
  members: readonly string[];
}

export interface GroupOutcome {
  groupId: string;
  /** `disable`: a group that left, kept but emptied (a group has no `active`). */
  action: "create" | "update" | "disable" | "delete" | "skip" | "failed";
  /** Why a group pushed before was left: gone from the source, or no longer included. */
  left?: Extract<LeaveReason, "outOfScope" | "hardDeleted">;
  targetId?: string;
  added: number;
  removed: number;
  /** Why it failed; messages carry no secrets. */
  error?: string;
}

/** The source groups `spec.include` names: by id, or by display name in any case. */
export function groupsInScope(spec: GroupsSpec, groups: readonly SourceGroup[]): SourceGroup[] {
  const wanted = new Set(spec.include.map((entry) => entry.toLowerCase()));
  return groups.filter(
    (group) =>
      wanted.has(group.id.toLowerCase()) ||
      (typeof group.data.displayName === "string" && wanted.has(group.data.displayName.toLowerCase())),
  );
}

function text(value: unknown): string | undefined {
  return value === null || value === undefined || String(value) === "" ? undefined : String(value);
}

/**
 * Creates or brings up to date one target group per source group. `userTargetIds` maps the source ids of
 * users this mapping provisions to their target ids; other members are left out. One group failing is
 * reported and the others go on.
 */
export async function provisionGroups(input: {
  spec: GroupsSpec;
  target: GroupTarget;
  groups: readonly SourceGroup[];
  userTargetIds: ReadonlyMap<string, string>;
  /** Groups pushed before (source group id → target group id): those not among `groups` have left. */
  pushed?: ReadonlyMap<string, string>;
  /** Ids of every group the source still holds: a pushed group missing here was deleted, not excluded. */
  existing?: ReadonlySet<string>;
  /** What happens to a group that left, as for users (`disable` empties it); default `disable`. */
  onLeave?: Mapping["onLeave"];
}): Promise<GroupOutcome[]> {
  const displayName = compileExpression(input.spec.displayName);
  const externalId = compileExpression(input.spec.externalId);
  const included = new Set(input.groups.map((group) => group.id));
  const left = [...(input.pushed ?? [])].filter(([groupId]) => !included.has(groupId));
  const policy = leavePolicy(input.onLeave ?? "disable");
  const leaving = left.map(async ([groupId, targetId]): Promise<GroupOutcome> => {
    const reason = input.existing && !input.existing.has(groupId) ? "hardDeleted" : "outOfScope";
    const outcome: GroupOutcome = { groupId, targetId, left: reason, action: "skip", added: 0, removed: 0 };
    try {
      const action = policy[reason];
      if (action === "ignore") return outcome;
      if (action === "delete") {
        await input.target.delete(targetId);
        return { ...outcome, action: "delete" };
      }
      const current = await input.target.get(targetId);
      if (!current || current.members.length === 0) return outcome;
      await input.target.update(current, { ...current, members: [] });
      return { ...outcome, action: "disable", removed: current.members.length };
    } catch (err) {
      if (!isConnectorError(err)) throw err;
      return { ...outcome, action: "failed", error: err.message };
    }
  });
  const staying = input.groups.map(async (group): Promise<GroupOutcome> => {
    const outcome: GroupOutcome = { groupId: group.id, action: "skip", added: 0, removed: 0 };
    try {
      const name = text(displayName.evaluate(group.data));
      if (name === undefined) return { ...outcome, action: "failed", error: "displayName is blank" };
      const external = text(externalId.evaluate(group.data));
      const members = [...new Set(group.members.flatMap((id) => input.userTargetIds.get(id) ?? []))];
      const desired = { displayName: name, ...(external ? { externalId: external } : {}), members };
      const keys = [
        ...(external ? [{ path: "externalId", value: external }] : []),
        { path: "displayName", value: name },
      ];
      const current = await input.target.lookup(keys);
      if (!current) {
        const created = await input.target.create(desired);
        return { ...outcome, action: "create", targetId: created.id, added: members.length };
      }
      const had = new Set(current.members);
      const wanted = new Set(members);
      const added = members.filter((m) => !had.has(m)).length;
      const removed = current.members.filter((m) => !wanted.has(m)).length;
      const renamed = current.displayName !== name || (external && current.externalId !== external);
      if (added === 0 && removed === 0 && !renamed) return { ...outcome, targetId: current.id };
      const updated = await input.target.update(current, desired);
      return { ...outcome, action: "update", targetId: updated.id, added, removed };
    } catch (err) {
      if (!isConnectorError(err)) throw err;
      return { ...outcome, action: "failed", error: err.message };
    }
  });
  return Promise.all([...staying, ...leaving]);
}
