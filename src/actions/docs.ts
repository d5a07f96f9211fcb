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
  return lines.join("\n");
}
