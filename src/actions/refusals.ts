/**
 * Graph's refusals, recognised by status and message (docs/graph.md#errors), and turned into plain
 * causes with fixes. Matching is on Graph's documented English messages; anything unrecognised is
 * passed through as the GraphError it is (code, message and request-id intact).
 */
import { createError, GraphError } from "../errors.ts";
import type { GraphClient } from "../graph/types.ts";

export const REFUSAL = {
  alreadyReferenced: /added object references already exist/i,
  notReferenced: /removed object references do not exist/i,
  weakPassword: /password complexity|password does not comply|password is too (short|weak)/i,
  unverifiedDomain: /domain portion of the userPrincipalName/i,
  usageLocation: /invalid usage location|usage ?location/i,
  onPremises: /on-premises mastered|Directory Sync objects/i,
  lastOwner: /at least one owner|last owner/i,
  mailEnabled: /mail-enabled|mail enabled|distribution list/i,
  dynamic: /dynamic membership/i,
  noSeats: /available licen[cs]es|not enough licen[cs]es|no (free|available) (seats|licen)/i,
  conflict: /already exists|conflicting object/i,
  absent: /does not exist/i,
  premiumRequired: /premium|P2|licen[cs]e/i,
} as const;

export function isGraphError(err: unknown, status?: number, message?: RegExp): err is GraphError {
  return (
    err instanceof GraphError &&
    (status === undefined || err.httpStatus === status) &&
    (message === undefined || message.test(err.graphMessage))
  );
}

export function isNotFound(err: unknown): err is GraphError {
  return isGraphError(err, 404);
}

export interface RefusalInfo {
  action: string;
  /** Application permissions any one of which allows the action. */
  permissions: readonly string[];
  /** What the write was aimed at, for messages, e.g. `user ann@contoso.com`. */
  target: string;
  graph: GraphClient;
}

/**
 * The refusals any write can meet. Returns a plain ConnectorError for a recognised refusal, otherwise
 * the error unchanged.
 */
export async function explainRefusal(err: unknown, info: RefusalInfo): Promise<unknown> {
  if (!(err instanceof GraphError)) return err;
  const cause = { cause: err };
  if (err.httpStatus === 403) {
    return createError(
      "PERMISSION_MISSING",
      { action: info.action, permissions: info.permissions.join(" or "), requestId: err.requestId || "none" },
      cause,
    );
  }
  if (err.httpStatus !== 400) return err;
  const m = err.graphMessage;
  if (REFUSAL.onPremises.test(m)) return createError("ON_PREMISES_SYNCED", { target: info.target }, cause);
  if (REFUSAL.lastOwner.test(m)) return createError("GROUP_LAST_OWNER", { target: info.target }, cause);
  if (REFUSAL.mailEnabled.test(m)) return createError("GROUP_MAIL_ENABLED", { target: info.target }, cause);
  if (REFUSAL.dynamic.test(m))
    return createError("GROUP_DYNAMIC", { target: info.target, rule: "see the group" }, cause);
  if (REFUSAL.weakPassword.test(m)) return createError("PASSWORD_WEAK", { problem: m }, cause);
  if (REFUSAL.unverifiedDomain.test(m)) {
    return createError("UPN_DOMAIN_UNVERIFIED", { verified: await verifiedDomains(info.graph) }, cause);
  }
  if (REFUSAL.usageLocation.test(m))
    return createError("LICENSE_USAGE_LOCATION", { user: info.target }, cause);
  return err;
}

async function verifiedDomains(graph: GraphClient): Promise<string> {
  try {
    const org = await graph.get<{ value: { verifiedDomains?: { name: string }[] }[] }>(
      "/organization?$select=verifiedDomains",
    );
    const names = org.value.flatMap((o) => (o.verifiedDomains ?? []).map((d) => d.name));
    return names.length > 0 ? names.join(", ") : "(none listed)";
  } catch {
    return "(see Entra admin centre → Custom domain names)";
  }
}
