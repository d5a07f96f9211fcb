/**
 * The connector's errors, one public module. Every failure the connector reports has a code in the
 * one registry (src/errors/registry/*.ts, a file per domain; add new codes there) with its message
 * template, fix, HTTP status (as the service API answers it), whether retrying can help, and the CLI
 * exit code. `docs/errors.md` is generated from the registry and a test keeps the two in step
 * (`UPDATE_ERROR_DOCS=1 npx node --test src/errors.test.ts` rewrites it).
 *
 * Templates use `{name}` placeholders; `createError` is typed so every placeholder must be given.
 * Never pass a secret or token as a parameter: messages are printed and logged as they are.
 *
 * @example
 *   throw createError("CONFIG_INVALID", { field: "ENTRA_TENANT_ID", problem: "must be a GUID" });
 */

export {
  ConnectorError,
  createError,
  type ErrorJSON,
  type ErrorParams,
  isConnectorError,
  toConnectorError,
} from "./errors/connector-error.ts";
export { GraphError, type GraphErrorCode, type GraphErrorInit } from "./errors/graph-error.ts";
export { ERRORS, type ErrorCode } from "./errors/registry.ts";
export { type ErrorSpec, EXIT } from "./errors/spec.ts";
