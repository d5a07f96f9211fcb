import { createError } from "../errors.ts";

/**
 * The provisioning gate: nothing is written to a tenant unless the operator switched writes on
 * (`--provisioning` / ENTRA_PROVISIONING=true), the way ConductorOne gates provisioning. It guards
 * actions' writes as well as grants and revokes: one switch decides whether this connector may change
 * the tenant. Reads and dry runs (which send nothing) are always allowed.
 */
export function assertWritesEnabled(enabled: boolean, what: string): void {
  if (!enabled) throw createError("PROVISIONING_DISABLED", { what });
}
