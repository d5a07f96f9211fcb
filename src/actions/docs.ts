import { GRANT_PERMISSIONS } from "../provisioning/grant.ts";
import { ACTIONS, inputFields } from "./registry.ts";

/**
 * docs/actions.md, generated from the registry so the page never drifts from the code
 * (`test/actions-docs.test.ts` fails when it does; `UPDATE_ACTION_DOCS=1` rewrites it).
 */
export function renderActionDocs(): string {
  const esc = (s: string) => s.replaceAll("|", "\\|").replaceAll("<", "&lt;");
  const lines = [
    "# Actions",
    "",
    "Generated from `src/actions/registry.ts`. Run one with",
    "`entra-connector action <name> --input '<json>' [--dry-run]`, or call the typed function of the same",
    "name (camelCase) from the library. Writes need provisioning enabled (`--provisioning` /",
    "`ENTRA_PROVISIONING=true`) unless `--dry-run`; every write returns `changed` and is audited.",
    "`user` and `group` accept an object id, a userPrincipalName / mail, or an exact display name.",
    "On the CLI a failure is a non-zero exit with one JSON error on stderr (stdout carries only results),",
    "and `--usage-location <cc>` fills `usageLocation` for the actions whose input has one.",
    "No string input may hold control characters; tabs and line breaks only in `description` and `membershipRule`.",
    "",
    "An input holding a password (`create-user`, `reset-password`) belongs in a file or on stdin, never in",
    "`--input`, which any local user can read in the process list:",
    "`entra-connector --provisioning action create-user --input-file - < ann.json` (`--input-file <path>` too).",
    "",
    "Writes are safe to repeat, and to retry after a transient fault (5xx, timeout, connection reset). A",
    "create whose answer is lost is looked up by its unique key (`userPrincipalName`, `mailNickname`):",
    "found, it is reported as created; absent, it is sent again. It is never made twice.",
    "",
    "A create repeated with the same key and input returns the existing object with `changed: false` and adds",
    "only the licences, members and owners it lacks; an object under that key with other properties is an",
    "`OBJECT_CONFLICT` naming both. Only properties Graph reads back are compared: a password never is. A",
    "security group's key is its `mailNickname` too (derived from `displayName` when absent), which Graph",
    "does not keep unique: if groups made elsewhere share it, the repeat is `OBJECT_AMBIGUOUS`, listing them.",
    "",
  ];
  for (const action of ACTIONS) {
    lines.push(`## ${action.name}${action.write ? " (write)" : ""}`, "", esc(`${action.summary}.`), "");
    lines.push(`Permission (any one): ${action.permissions.map((p) => `\`${p}\``).join(", ")}.`, "");
    lines.push("| input | type | required | description |", "|---|---|---|---|");
    for (const f of inputFields(action)) {
      lines.push(`| \`${f.name}\` | ${esc(f.type)} | ${f.required ? "yes" : "no"} | ${esc(f.description)} |`);
    }
    lines.push("");
  }
  lines.push(
    "# Provisioning",
    "",
    "`entra-connector grant <entitlement> <principal> [--dry-run]` and `revoke` (library: `grant`, `revoke`),",
    "with the same gate, dry run, audit and repeat-safety. A principal is a user reference, or",
    "`group:<ref>` / `app:<ref>` for a group or a service principal.",
    "",
    "| entitlement | what it writes | permission (any one) |",
    "|---|---|---|",
    ...ENTITLEMENT_DOCS.map(([form, writes, kind]) => {
      const perms = GRANT_PERMISSIONS[kind].map((p) => `\`${p}\``).join(", ");
      return `| \`${form}\` | ${esc(writes)} | ${perms} |`;
    }),
    "",
  );
  return lines.join("\n");
}

const ENTITLEMENT_DOCS: [string, string, keyof typeof GRANT_PERMISSIONS][] = [
  ["group:<group>:member", "group members ($ref)", "group"],
  ["group:<group>:owner", "group owners ($ref)", "group"],
  ["role:<role>:assigned", "roleManagement/directory/roleAssignments (scope /)", "role"],
  [
    "role:<role>:eligible",
    "roleEligibilityScheduleRequests adminAssign / adminRemove (needs Entra ID P2)",
    "eligible",
  ],
  ["app:<app>:assigned", "appRoleAssignedTo with the default access role", "app"],
  ["app:<app>:role:<appRole>", "appRoleAssignedTo with the app role (id, value or name)", "app"],
  [
    "license:<sku>:assigned",
    "assignLicense (users only; --usage-location when the user has none)",
    "license",
  ],
];
