// The public API: everything a program needs to do what the CLI does. src/cli imports only from here
// (biome.json's noRestrictedImports keeps it so).

// Actions and provisioning (src/actions, src/provisioning).
export * from "./actions/index.ts";
export {
  CAPABILITIES,
  type CapabilityResult,
  evaluateCapabilities,
  permissionsToAdd,
  selectCapabilities,
} from "./auth/capabilities.ts";
export { type CheckReport, checkConnection } from "./auth/check.ts";
export { adminConsentUrl } from "./auth/credentials.ts";
export { type InteractiveLoginOptions, interactiveLogin } from "./auth/interactive-login.ts";
export { loadConnectorKey } from "./auth/secret-box.ts";
export { fileTokenStore, type TokenStore } from "./auth/token-store.ts";
export { decodeClaims, grantedPermissions, type TokenClaims } from "./common/claims.ts";
export { CLOUDS, type CloudName } from "./common/clouds.ts";
export type { StoredToken, TokenProvider } from "./common/tokens.ts";
export {
  checkDuration,
  type DurationLimits,
  formatDuration,
  MAX_DURATION_MS,
  parseDuration,
} from "./config/duration.ts";
export { FIELDS, type FieldName, fieldCommand, fieldHelp } from "./config/fields.ts";
export {
  type ConfigFlags,
  type ConnectorConfig,
  type ConnectorSettings,
  type Credential,
  type LoadConfigOptions,
  loadConfig,
  loadSettings,
  type ServiceSettings,
} from "./config/load.ts";
export { nextRun, parseSchedule, type Schedule } from "./config/schedule.ts";
export { type Connection, type ConnectionOptions, createConnection } from "./connection.ts";
export {
  ConnectorError,
  createError,
  ERRORS,
  type ErrorCode,
  EXIT,
  GraphError,
  isConnectorError,
  toConnectorError,
} from "./errors.ts";
export { createGraphClient, type GraphClientDeps } from "./graph/client.ts";
export { Limiter, type SharedBudget } from "./graph/limiter.ts";
/** The `$filter` builder: `odata.and(odata.eq("department", input), …)`; values are quoted safely. */
export * as odata from "./graph/odata-filter.ts";
export type * from "./graph/types.ts";
export { createLogger, type Logger } from "./log/logger.ts";
export { redactString } from "./log/redact.ts";
export { displayWidth, padDisplay, terminalSafe, terminalSafeJson } from "./log/terminal.ts";
// Mappings (src/mapping): provisioning users from the store into downstream systems.
export {
  checkMapping,
  describeMappingAction,
  loadMapping,
  type Mapping,
  type MappingOutcome,
  type MappingRunInput,
  type MappingRunReport,
  type MappingStep,
  openTarget,
  type PlanAction as MappingPlanAction,
  runMapping,
} from "./mapping/index.ts";
export * from "./provisioning/index.ts";
// Service mode (src/service): the HTTP API, its API tokens and the in-process job runner.
export { API_ROLES, type ApiRole } from "./service/api-tokens.ts";
export { buildApp, type ServiceContext } from "./service/app.ts";
export {
  type CheckView,
  type ConnectionAdmin,
  type ConnectionAdminOptions,
  CreateConnectionInput,
  checkView,
  connectionAdmin,
  connectionDir,
  connectionStore,
  openConnections,
  UpdateConnectionInput,
} from "./service/connection-admin.ts";
export {
  type ConnectionRegistry,
  connectionFromConfig,
  connectionsFromEnvironment,
  environmentConnections,
  registryOf,
  type ServiceConnection,
} from "./service/connections.ts";
export { createLocalJobs, type JobRecord, type JobStatus, type Jobs } from "./service/jobs.ts";
export { createQueueJobs, type QueueJobsOptions, type RetryPolicy } from "./service/queue-jobs.ts";
export { connectionView } from "./service/routes/connections.ts";
export { type RunningService, type ServiceOptions, startService } from "./service/service.ts";
export { type PostgresBudget, postgresBudget } from "./service/shared-budget.ts";
export {
  type ApiTokenInfo,
  type ConnectionAuditEntry,
  type ConnectionRecord,
  openServiceState,
  type ServiceState,
  serviceStatePath,
} from "./service/state.ts";
export { openPostgresServiceState, openServiceStateFor } from "./service/state-postgres.ts";
// The store (src/store): the synced copy, its runs, change events, audit log and queries.
export {
  type ChangeEvent,
  type CopyResult,
  type CsvOptions,
  copyStore,
  csvRecord,
  EXPORT_FORMATS,
  EXPORT_KINDS,
  type ExportFormat,
  type ExportKind,
  exportLines,
  type Grant,
  type MappingDefinition,
  type MappingLogEntry,
  type MappingResult,
  type MappingRun,
  type MigrationVersion,
  migrateStore,
  openStore,
  RESOURCE_KINDS,
  type Resource,
  type ResourceKind,
  type ResourceQuery,
  type RunRecord,
  type Store,
  StoreError,
  type StreamStats,
} from "./store/index.ts";
export type { StreamPhase, SyncObserver } from "./sync/context.ts";
export {
  planStreams,
  type RunSyncInput,
  runSync,
  type StreamOutcome,
  type SyncSummary,
} from "./sync/engine.ts";
export { type SyncUserInput, type SyncUserResult, syncUser } from "./sync/one-user.ts";
export {
  parseKinds,
  parsePropertySelection,
  SYNC_KINDS,
  type SyncKind,
  type SyncOptions,
} from "./sync/options.ts";
export { describeEvent, formatSummary, SyncProgress } from "./sync/progress.ts";
// Triggers (src/triggers): typed change events, subscriptions, delivery.
export * from "./triggers/index.ts";
export { VERSION } from "./version.ts";
