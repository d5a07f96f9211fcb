/**
 * Graph's rules about which groups can be written and how (docs/graph.md#errors, #groups).
 */
import type { GraphObject } from "../tenant/types.ts";
import { type GraphError, graphErrors } from "./errors.ts";

export function isUnified(group: GraphObject): boolean {
  return (group["groupTypes"] as string[] | undefined)?.includes("Unified") === true;
}

export function isDynamic(group: GraphObject): boolean {
  return (group["groupTypes"] as string[] | undefined)?.includes("DynamicMembership") === true;
}

/** Mail-enabled security groups and distribution lists: Exchange-mastered, not writable through Graph. */
export function isExchangeMastered(group: GraphObject): boolean {
  return group["mailEnabled"] === true && !isUnified(group);
}

/** Refuses membership changes Graph refuses: synced, Exchange-mastered and dynamic groups. */
export function checkMembershipWritable(group: GraphObject): void {
  if (group["onPremisesSyncEnabled"] === true) throw graphErrors.onPremisesMastered();
  if (isExchangeMastered(group)) {
    throw graphErrors.badRequest("Cannot Update a mail-enabled security groups and or distribution list.");
  }
  if (isDynamic(group)) throw dynamicMembershipError();
}

/** Message unconfirmed; Graph refuses manual changes to rule-driven membership with a 400. */
export const dynamicMembershipError = (): GraphError =>
  graphErrors.badRequest("Members of a group with dynamic membership cannot be changed manually.");

export const MAIL_ENABLED_WRITE_REFUSED =
  "The service does not currently support writes of mail-enabled groups. Please ensure that the mail-enablement property is unset or is set to false.";

/** mailNickname: 1–64 ASCII characters, none of @()\[]";:.<>, or space (§5). */
export function checkMailNickname(value: string): void {
  if (value.length > 64 || !/^[\x21-\x7e]+$/.test(value) || /[@()\\[\]";:.<>,\s]/.test(value)) {
    throw graphErrors.invalidValue("mailNickname", "Group");
  }
}

export function checkDisplayName(value: string): void {
  if (value.length > 256) throw graphErrors.invalidValue("displayName", "Group");
}

export const lastOwnerError = (): GraphError =>
  graphErrors.badRequest("The group must have at least one owner, hence this owner cannot be removed.");

export const alreadyReferenced = (relation: "members" | "owners"): GraphError =>
  graphErrors.badRequest(
    `One or more added object references already exist for the following modified properties: '${relation}'.`,
  );

export const notReferenced = (relation: "members" | "owners"): GraphError =>
  graphErrors.badRequest(
    `One or more removed object references do not exist for the following modified properties: '${relation}'.`,
  );
