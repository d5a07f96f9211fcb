import { type ErrorSpec, EXIT } from "../spec.ts";

/** Actions and provisioning (src/actions, src/provisioning). */
export const ACTION_ERRORS = {
  INPUT_INVALID: {
    message: "Invalid input for {action}: {problems}",
    fix: "Correct the named fields; `entra-connector actions --json` shows every action's input schema.",
    status: 400,
    retryable: false,
    exit: EXIT.usage,
  },
  ACTION_UNKNOWN: {
    message: "There is no action named {name}.",
    fix: "Use one of: {known}.",
    status: 404,
    retryable: false,
    exit: EXIT.usage,
  },
  OBJECT_NOT_FOUND: {
    message: "No {kind} matches {ref}.",
    fix: "Pass an object id, a userPrincipalName or mail address, or the exact display name; an object created seconds ago may not be visible yet (directory replication), so retry shortly.",
    status: 404,
    retryable: false,
    exit: EXIT.graph,
  },
  OBJECT_AMBIGUOUS: {
    message: "{count} objects of kind {kind} are named {ref}: {candidates}.",
    fix: "Pass the id (or userPrincipalName) of the one you mean.",
    status: 409,
    retryable: false,
    exit: EXIT.usage,
  },
  OBJECT_EXISTS: {
    message: "A {kind} with {property} {value} already exists (id {existingId}).",
    fix: "Use the existing {kind} (id {existingId}), or choose another {property}.",
    status: 409,
    retryable: false,
    exit: EXIT.graph,
  },
  OBJECT_CONFLICT: {
    message:
      "A {kind} with {property} {value} already exists (id {existingId}) but is not the one this {action} asks for: {differences}.",
    fix: "Change the existing {kind} with update-{kind} (id {existingId}), or choose another {property} for a new one.",
    status: 409,
    retryable: false,
    exit: EXIT.graph,
  },
  LICENSE_USAGE_LOCATION: {
    message: "{user} has no usage location; Microsoft requires one before a licence can be assigned.",
    fix: 'Pass usageLocation (a two-letter country code such as "US"; --usage-location on the CLI), or set it on the user first.',
    status: 400,
    retryable: false,
    exit: EXIT.graph,
  },
  LICENSE_NO_SEATS: {
    message: "No free seat in {sku}: {consumed} of {enabled} are assigned.",
    fix: "Remove the licence from someone who no longer needs it, or buy more seats in the Microsoft 365 admin centre.",
    status: 409,
    retryable: false,
    exit: EXIT.graph,
  },
  LICENSE_UNKNOWN: {
    message: "The tenant has no subscribed SKU matching {ref}.",
    fix: "Use a skuId or skuPartNumber the tenant has: {available}.",
    status: 404,
    retryable: false,
    exit: EXIT.usage,
  },
  ON_PREMISES_SYNCED: {
    message: "{target} is synchronised from on-premises Active Directory; Graph refuses to change it.",
    fix: "Make the change in on-premises AD (Entra Connect syncs it), or convert the object to cloud-only first.",
    status: 409,
    retryable: false,
    exit: EXIT.graph,
  },
  GROUP_MAIL_ENABLED: {
    message:
      "{target} is a mail-enabled security group or distribution list; Graph cannot create it or change its members.",
    fix: "Manage it in Exchange Online (admin centre or PowerShell), or use a security group or a Microsoft 365 group instead.",
    status: 409,
    retryable: false,
    exit: EXIT.graph,
  },
  GROUP_DYNAMIC: {
    message: "{target} has dynamic membership (rule: {rule}); its members are set by the rule, not by hand.",
    fix: "Change the group's membershipRule, or use a group with assigned membership.",
    status: 409,
    retryable: false,
    exit: EXIT.graph,
  },
  GROUP_LAST_OWNER: {
    message: "Cannot remove {target}: a group must keep at least one owner.",
    fix: "Add another owner first, then remove this one.",
    status: 409,
    retryable: false,
    exit: EXIT.graph,
  },
  PASSWORD_WEAK: {
    message: "The password was refused: {problem}",
    fix: "Use 8–256 characters with three of: upper case, lower case, digits, symbols; avoid the user's name and common words.",
    status: 400,
    retryable: false,
    exit: EXIT.usage,
  },
  UPN_DOMAIN_UNVERIFIED: {
    message: "The userPrincipalName's domain is not a verified domain of this tenant.",
    fix: "Use one of the tenant's verified domains: {verified}.",
    status: 400,
    retryable: false,
    exit: EXIT.usage,
  },
  PERMISSION_MISSING: {
    message:
      "{action} was refused: the app lacks the Graph application permission {permissions} (request-id {requestId}).",
    fix: "Add {permissions} (Microsoft Graph → Application permissions) to the app registration and grant admin consent; `entra-connector check` lists what is missing.",
    status: 403,
    retryable: false,
    exit: EXIT.permissions,
  },
  REPLICATION_LAG: {
    message:
      "The {kind} {id} was created moments ago and Graph still does not see it after {waitedMs} ms (directory replication lag).",
    fix: "Retry in a few seconds; nothing after the create was changed.",
    status: 503,
    retryable: true,
    exit: EXIT.graph,
  },
  PIM_NOT_LICENSED: {
    message:
      "Eligible (PIM) role assignments need Microsoft Entra ID P2 or Governance, which this tenant lacks (request-id {requestId}).",
    fix: "Grant the active role (role:<role>:assigned) instead, or license the tenant for Entra ID P2.",
    status: 403,
    retryable: false,
    exit: EXIT.permissions,
  },
  WRITE_INCOMPLETE: {
    message: "{action} stopped at step '{step}': {cause} Left in place: {left}. Not done: {notDone}.",
    fix: "Fix the cause and run the same action again: steps already done are recognised and not repeated.",
    status: 502,
    retryable: false,
    exit: EXIT.graph,
  },
  PROVISIONING_DISABLED: {
    message: "Writes to the tenant are disabled; {what} was not sent.",
    fix: "Enable writes with --provisioning or ENTRA_PROVISIONING=true, or preview with --dry-run (sends nothing).",
    status: 403,
    retryable: false,
    exit: EXIT.permissions,
  },
  CURSOR_INVALID: {
    message: "Invalid input for {action}: cursor: {problem}.",
    fix: "Pass the nextCursor of the previous call unchanged, with the same filters (limit may change); leave cursor out to start again.",
    status: 400,
    retryable: false,
    exit: EXIT.usage,
  },
  ENTITLEMENT_INVALID: {
    message: "Not an entitlement this connector can grant: {entitlement} ({problem}).",
    fix: "Use group:<group>:member, group:<group>:owner, role:<role>:assigned, role:<role>:eligible, app:<app>:assigned, app:<app>:role:<appRole> or license:<sku>:assigned.",
    status: 400,
    retryable: false,
    exit: EXIT.usage,
  },
} as const satisfies Record<string, ErrorSpec>;
