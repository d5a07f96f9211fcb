/** What every downstream system a mapping pushes into offers the provisioning engine. */
import type { AttributeChange, TargetRecord } from "../plan.ts";

export interface TargetCapabilities {
  disable: boolean;
  delete: boolean;
  groups: boolean;
  etags: boolean;
  patch: boolean;
}

export interface MatchKey {
  /** Attribute path as the mapping names it (`userName`, `externalId`, `emails.value`). */
  path: string;
  value: string;
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
}
