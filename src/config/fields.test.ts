import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { test } from "node:test";
import { FIELDS, type FieldName } from "./fields.ts";

const DOCS = new URL("../../docs/configuration.md", import.meta.url);

function renderConfigDocs(): string {
  const lines = [
    "# Configuration",
    "",
    "Generated from `src/config/fields.ts`; `src/config/fields.test.ts` fails when this page is out of step.",
    "Regenerate with `UPDATE_CONFIG_DOCS=1 npx node --test src/config/fields.test.ts`.",
    "",
    "Each setting comes from a flag, else an environment variable, else the JSON config file given by",
    "`--config` / `ENTRA_CONFIG` (keys as in the last column). A bad value is refused before any request,",
    "with an error naming where it came from. The token store key is `ENTRA_CONNECTOR_KEY` (32 bytes, base64",
    "or hex); without it a key file is generated (0600) beside the store.",
    "",
    "| environment | flag | config file key | meaning |",
    "|---|---|---|---|",
  ];
  for (const name of Object.keys(FIELDS) as FieldName[]) {
    const f = FIELDS[name];
    lines.push(`| \`${f.env}\` | ${f.flag ? `\`${f.flag}\`` : "—"} | \`${name}\` | ${f.help} |`);
  }
  return lines.join("\n") + "\n";
}

test("docs/configuration.md lists every setting", () => {
  const expected = renderConfigDocs();
  if (process.env["UPDATE_CONFIG_DOCS"] === "1") writeFileSync(DOCS, expected);
  assert.equal(
    readFileSync(DOCS, "utf8"),
    expected,
    "docs/configuration.md is stale: run `UPDATE_CONFIG_DOCS=1 npx node --test src/config/fields.test.ts`",
  );
});
