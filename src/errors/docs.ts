import { ERRORS } from "./registry.ts";
import { type ErrorSpec, EXIT } from "./spec.ts";

/** docs/errors.md, generated from the registry (src/errors.test.ts keeps the page in step). */
export function renderErrorDocs(): string {
  const lines = [
    "# Error codes",
    "",
    "Generated from the one registry (`src/errors/registry/*.ts`, one file per domain); `src/errors.test.ts`",
    "fails when this page is out of step. Regenerate with `UPDATE_ERROR_DOCS=1 npx node --test src/errors.test.ts`.",
    "",
    "CLI exit codes: " +
      Object.entries(EXIT)
        .map(([k, v]) => `${v} ${k}`)
        .join(", ") +
      ".",
    "",
    "| code | HTTP | retryable | exit | message | fix |",
    "|---|---|---|---|---|---|",
  ];
  const esc = (s: string) => s.replaceAll("|", "\\|");
  for (const [code, spec] of Object.entries(ERRORS) as [string, ErrorSpec][]) {
    lines.push(
      `| \`${code}\` | ${spec.status} | ${spec.retryable ? "yes" : "no"} | ${spec.exit} | ${esc(spec.message)} | ${esc(spec.fix ?? "")} |`,
    );
  }
  return `${lines.join("\n")}\n`;
}
