/** The store: the identity model, cursors, runs, the change-event outbox and the audit log. */
export { maskSecrets, propertyChanges } from "./changes.ts";
export { type CsvOptions, csvField, csvRecord } from "./csv.ts";
export { StoreError, type StoreErrorCode } from "./errors.ts";
export { EXPORT_KINDS } from "./export-kinds.ts";
export { EXPORT_FORMATS, type ExportFormat, exportLines } from "./export-lines.ts";
export { type CopyResult, copyStore, type MigrationVersion, migrateStore } from "./maintenance.ts";
export { DEFAULT_APP_ROLE_ID, entitlementOf, principalTypeOf } from "./model.ts";
export { openStore } from "./open.ts";
export * from "./types.ts";
