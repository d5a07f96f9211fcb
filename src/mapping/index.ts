/** Mappings into downstream systems: definitions, scope and plans (pure; no I/O beyond loading a file). */
export {
  type AttributeEntry,
  DEFAULT_DELETION_THRESHOLD,
  deletionLimit,
  LEAVE_ACTIONS,
  type LeaveAction,
  type LeavePolicy,
  type LeaveReason,
  leavePolicy,
  type Mapping,
  mappingSchema,
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
export { getPath, setPath } from "./path.ts";
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
  openTarget,
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
export {
  type ScimTarget,
  type ScimTargetOptions,
  scimFilterValue,
  scimPath,
  scimTarget,
} from "./targets/scim.ts";
export type { MappingTarget, MatchKey, TargetCapabilities } from "./targets/target.ts";
