/**
 * The emulator's OData engine: pure functions that parse, validate and compile Graph query options
 * and shape objects for responses. Routes call parseQueryOptions, then checkQueryMode, then use the
 * compiled predicate / comparator / projection over their stored objects.
 */
export {
  badRequest,
  expiredPageToken,
  ODataError,
  unsupportedQuery,
} from "./errors.ts";
export { type ExpandOption, parseExpand } from "./expand.ts";
export { type CompiledFilter, compileFilter, type FilterUse, type Obj } from "./filter-compile.ts";
export { type BoolNode, parseFilter } from "./filter-parser.ts";
export { compileComparator, type OrderKey, parseOrderBy } from "./orderby.ts";
export { checkQueryMode, type QueryMode, type QueryModeInput } from "./query-mode.ts";
export { type ParsedQuery, parseQueryOptions, queryPredicate } from "./query-options.ts";
export type {
  EdmType,
  FilterCaps,
  FilterOp,
  PropertySpec,
  QueryOptionName,
  ResourceSpec,
  SearchMode,
} from "./resource-spec.ts";
export {
  applications,
  directoryAudits,
  directoryObjects,
  directoryRoles,
  groups,
  RESOURCES,
  type ResourceName,
  roleAssignments,
  roleDefinitions,
  roleEligibilitySchedules,
  servicePrincipals,
  subscribedSkus,
  users,
} from "./resources.ts";
export { type CompiledSearch, compileSearch } from "./search.ts";
export {
  compileProjection,
  contextSelect,
  type Projection,
  type ProjectionOptions,
  parseSelect,
} from "./select.ts";
export { decodeSkipToken, encodeSkipToken, nextLinkQuery, type SkipTokenOptions } from "./skiptoken.ts";
