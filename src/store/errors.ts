import { ConnectorError, type ErrorCode } from "../errors.ts";

/** The store's codes in the one error registry (src/errors.ts). */
export type StoreErrorCode = Extract<ErrorCode, `STORE_${string}`>;

/**
 * A store failure: a registry code whose message names the field or location at fault and whose fix
 * says what to do. `instanceof ConnectorError` holds, so the CLI and service report it like any other.
 */
export class StoreError<C extends StoreErrorCode = StoreErrorCode> extends ConnectorError<C> {
  override name = "StoreError";
}

/** Bad input to a store call, naming the field: `invalidInput("upserts[3].kind", "must be one of …")`. */
export function invalidInput(field: string, problem: string): StoreError<"STORE_INPUT_INVALID"> {
  return new StoreError("STORE_INPUT_INVALID", { field, problem });
}
