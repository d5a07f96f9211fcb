/** The target a mapping names, opened from its definition (settings were validated when it was loaded). */
import type { Mapping } from "../definition.ts";
import { fileTarget } from "./file.ts";
import { scimTarget } from "./scim.ts";
import type { MappingTarget } from "./target.ts";

export interface OpenTargetOptions {
  /** The run pushing the records; the SQL target writes it on every row it touches. */
  runId?: string;
}

export function openTarget(mapping: Mapping, _options: OpenTargetOptions = {}): MappingTarget {
  const target = mapping.target;
  switch (target.type) {
    case "scim":
      return scimTarget(target);
    case "file":
      return fileTarget({ ...target, match: mapping.match, columns: Object.keys(mapping.attributes) });
    default:
      throw new Error(`target type ${target.type} is not built yet`);
  }
}
