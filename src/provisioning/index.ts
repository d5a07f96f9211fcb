import { bindAction } from "../actions/index.ts";
import { grantAction, revokeAction } from "./grant.ts";

/**
 * Grants an entitlement (`group:<g>:member`, `role:<r>:eligible`, `app:<a>:role:<role>`, …) to a principal.
 *
 * @example
 *   await grant(deps, { entitlement: "group:Finance:member", principal: "ann@contoso.com" });
 */
export const grant = bindAction(grantAction);
/** Revokes an entitlement from a principal; revoking one it does not hold is `changed: false`. */
export const revoke = bindAction(revokeAction);

export { assertWritesEnabled } from "../actions/gate.ts";
export { renderActionDocs } from "./docs.ts";
export { type EntitlementRef, parseEntitlement } from "./entitlements.ts";
export { GRANT_PERMISSIONS, grantAction, revokeAction } from "./grant.ts";
