/** Mappings into downstream systems: definitions, scope and plans (pure; no I/O beyond loading a file). */
export {
  type AttributeEntry,
  DEFAULT_DELETION_THRESHOLD,
  deletionLimit,
  type GroupsSpec,
  LEAVE_ACTIONS,
  type LeaveAction,
  type LeavePolicy,
  type LeaveReason,
  leavePolicy,
  type Mapping,
  mappingSchema,
  type Notify,
  SCOPE_OPERATORS,
  type ScopeClause,
  type ScopeOperator,
  type Target,
  type UsersSource,
} from "./definition.ts";
export {
  compileExpression,
  type EvaluateOptions,
  type Expression,
  evaluate,
  FUNCTION_NAMES,
  parseExpression,
  printExpression,
} from "./expression/index.ts";
export { type LoadOptions, loadMapping, parseMapping } from "./load.ts";
export {
  type NotifyDeps,
  type NotifyOutcome,
  notifyRunCompleted,
  type RunSummary,
} from "./notify.ts";
export { getPath, pathSegments, SCIM_ENTERPRISE_USER_SCHEMA, setPath } from "./path.ts";
export {
  type AttributeChange,
  type AttributeMapper,
  type CompiledExpression,
  type CompileExpression,
  compileAttributes,
  matchKey,
  type Plan,
  type PlanAction,
  type PlanInput,
  type PlanUser,
  planProvisioning,
  type SkipReason,
  type TargetRecord,
} from "./plan.ts";
export {
  checkMapping,
  describeMappingAction,
  type MappingOutcome,
  type MappingRunInput,
  type MappingRunReport,
  type MappingStep,
  runMapping,
} from "./run.ts";
export {
  clauseHolds,
  filtersPass,
  inScope,
  type ScopeSubject,
  type UserData,
  type UserState,
  userState,
} from "./scope.ts";
export { type FileTargetOptions, fileTarget } from "./targets/file.ts";
export {
  type GroupOutcome,
  groupsInScope,
  provisionGroups,
  type SourceGroup,
} from "./targets/groups.ts";
export {
  type HttpAuth,
  type HttpRequestTemplate,
  type HttpTargetOptions,
  httpTarget,
} from "./targets/http.ts";
export { type OpenTargetOptions, openTarget } from "./targets/open.ts";
export {
  type ScimTarget,
  type ScimTargetOptions,
  scimFilterValue,
  scimPath,
  scimTarget,
} from "./targets/scim.ts";
export { quoteIdentifier, type SqlTargetOptions, sqlTarget } from "./targets/sql.ts";
export type {
  DesiredGroup,
  GroupRecord,
  GroupTarget,
  MappingTarget,
  MatchKey,
  TargetCapabilities,
} from "./targets/target.ts";
