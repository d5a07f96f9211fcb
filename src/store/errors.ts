/**
 * Typed store errors. `code` is stable (scripts and the CLI match on it); `message` names the field
 * or input at fault and the fix.
 */
export type StoreErrorCode =
  | "STORE_LOCATION_INVALID"
  | "STORE_NOT_FOUND"
  | "STORE_UNSUPPORTED"
  | "STORE_SCHEMA_TOO_NEW"
  | "STORE_INPUT_INVALID"
  | "STORE_RUN_NOT_FOUND"
  | "STORE_CLOSED";

export class StoreError extends Error {
  readonly code: StoreErrorCode;

  constructor(code: StoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "StoreError";
    this.code = code;
  }
}
