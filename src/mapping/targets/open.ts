/** The target a mapping names, opened from its definition (settings were validated when it was loaded). */
import type { Mapping } from "../definition.ts";
import { fileTarget } from "./file.ts";
import { httpTarget } from "./http.ts";
import { type ScimTargetOptions, scimTarget } from "./scim.ts";
import { sqlTarget } from "./sql.ts";
import type { MappingTarget } from "./target.ts";

export interface OpenTargetOptions {
  /** The run pushing the records; the SQL target writes it on every row it touches. */
  runId?: string;
  /** Settings over the definition's for a SCIM target (tests and benchmarks shorten backoff, lift rates). */
  scim?: Partial<ScimTargetOptions>;
}

export function openTarget(mapping: Mapping, options: OpenTargetOptions = {}): MappingTarget {
  const target = mapping.target;
  const columns = Object.keys(mapping.attributes);
  switch (target.type) {
    case "scim":
      return scimTarget({ ...target, ...options.scim });
    case "file":
      return fileTarget({ ...target, match: mapping.match, columns });
    case "sql":
      return sqlTarget({ ...target, match: mapping.match, columns, runId: options.runId });
    case "http":
      return httpTarget({ ...target, match: mapping.match });
  }
}
