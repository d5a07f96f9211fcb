import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { test } from "node:test";
import {
  ConnectorError,
  createError,
  ERRORS,
  type ErrorCode,
  type ErrorSpec,
  EXIT,
  toConnectorError,
} from "./errors.ts";

const DOCS = new URL("../docs/errors.md", import.meta.url);

/** docs/errors.md, generated from the registry. */
function renderErrorDocs(): string {
  const lines = [
    "# Error codes",
    "",
    "Generated from `src/errors.ts` (the one registry); `src/errors.test.ts` fails when this page is out of",
    "step. Regenerate with `UPDATE_ERROR_DOCS=1 npx node --test src/errors.test.ts`.",
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
  for (const [code, spec] of Object.entries(ERRORS) as [ErrorCode, ErrorSpec][]) {
    lines.push(
      `| \`${code}\` | ${spec.status} | ${spec.retryable ? "yes" : "no"} | ${spec.exit} | ${esc(spec.message)} | ${esc(spec.fix ?? "")} |`,
    );
  }
  return lines.join("\n") + "\n";
}

test("docs/errors.md is in step with the registry", () => {
  const expected = renderErrorDocs();
  if (process.env["UPDATE_ERROR_DOCS"] === "1") writeFileSync(DOCS, expected);
  const actual = readFileSync(DOCS, "utf8");
  assert.equal(
    actual,
    expected,
    "docs/errors.md is stale: run `UPDATE_ERROR_DOCS=1 npx node --test src/errors.test.ts` and commit it",
  );
});

test("every code documents a CLI exit code and every placeholder is fillable", () => {
  for (const [code, spec] of Object.entries(ERRORS) as [ErrorCode, (typeof ERRORS)[ErrorCode]][]) {
    assert.ok(Number.isInteger(spec.exit), code);
    const names = [...`${spec.message} ${"fix" in spec ? spec.fix : ""}`.matchAll(/\{(\w+)\}/g)].map(
      (m) => m[1]!,
    );
    const params = Object.fromEntries(names.map((n) => [n, `<${n}>`]));
    const err = new ConnectorError(code, params as never);
    assert.doesNotMatch(`${err.message} ${err.fix ?? ""}`, /\{\w+\}/, `${code} left a placeholder unfilled`);
  }
});

test("errors carry code, filled message, fix, exit code and retryability", () => {
  const err = createError("CONFIG_INVALID", { field: "ENTRA_TENANT_ID", problem: "must be a GUID" });
  assert.equal(err.message, "ENTRA_TENANT_ID: must be a GUID");
  assert.equal(err.exitCode, 2);
  assert.equal(err.retryable, false);
  assert.deepEqual(err.toJSON(), {
    code: "CONFIG_INVALID",
    message: "ENTRA_TENANT_ID: must be a GUID",
    status: 400,
    retryable: false,
    exitCode: 2,
  });
  const unknown = toConnectorError(new TypeError("boom"));
  assert.equal(unknown.code, "INTERNAL");
  assert.equal(unknown.exitCode, 1);
});
