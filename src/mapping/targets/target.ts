/** What every downstream system a mapping pushes into offers the provisioning engine. */
import type { AttributeChange, TargetRecord } from "../plan.ts";

export interface TargetCapabilities {
  disable: boolean;
  delete: boolean;
  groups: boolean;
  etags: boolean;
  patch: boolean;
  /** The target takes several operations in one request (SCIM `/Bulk`); absent means no. */
  bulk?: boolean;
}

export interface MatchKey {
  /** Attribute path as the mapping names it (`userName`, `externalId`, `emails.value`). */
  path: string;
  value: string;
}

/** A group as the target holds it; `members` are the target's ids of its member users. */
export interface GroupRecord {
  id: string;
  displayName: string;
  externalId?: string;
  members: string[];
}

/** What a group should look like in the target; `members` are target user ids. */
export interface DesiredGroup {
  displayName: string;
  externalId?: string;
  members: readonly string[];
}

/** Groups in a target that has them (`capabilities.groups`). */
export interface GroupTarget {
  /** The group one of these keys (`externalId`, `displayName`) finds, members included. */
  lookup(keys: readonly MatchKey[]): Promise<GroupRecord | undefined>;
  /** The group with this target id, members included; undefined once it is gone. */
  get(id: string): Promise<GroupRecord | undefined>;
  create(group: DesiredGroup): Promise<GroupRecord>;
  /** Brings `current` to `group`: changed names and the members added and removed, nothing else. */
  update(current: GroupRecord, group: DesiredGroup): Promise<GroupRecord>;
  delete(id: string): Promise<void>;
}

export interface MappingTarget {
  readonly capabilities: TargetCapabilities;
  /** The record one of these match keys finds, tried in precedence order (attribute path + value). */
  lookup(keys: readonly MatchKey[]): Promise<TargetRecord | undefined>;
  create(attributes: Record<string, unknown>): Promise<TargetRecord>;
  update(
    id: string,
    changes: readonly AttributeChange[],
    attributes: Record<string, unknown>,
  ): Promise<TargetRecord>;
  disable(id: string): Promise<void>;
  delete(id: string): Promise<void>;
  close(): Promise<void>;
  /** Every record the target holds, read page by page, where the target can list them. */
  list?(): AsyncIterable<TargetRecord>;
  /** Group provisioning, where the target has groups. */
  readonly groups?: GroupTarget;
}
