/** `entra-connector revoke <entitlement> <principal> [--dry-run]`: the inverse of grant. */
import { entitlementCommand } from "./grant.ts";

export const revokeCommand = entitlementCommand("revoke");
