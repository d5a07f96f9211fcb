import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { test } from "node:test";
import { renderErrorDocs } from "./errors/docs.ts";
import { ERROR_DOMAINS } from "./errors/registry.ts";
import { ConnectorError, createError, ERRORS, type ErrorCode, toConnectorError } from "./errors.ts";

const DOCS = new URL("../docs/errors.md", import.meta.url);

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

test("no two domains of the registry define the same code", () => {
  const all = Object.values(ERROR_DOMAINS).flatMap((domain) => Object.keys(domain));
  assert.equal(new Set(all).size, all.length, "a code is defined twice; the later one would silently win");
  assert.deepEqual(all, Object.keys(ERRORS), "every domain file is listed in ERRORS and ERROR_DOMAINS");
});

test("whatever fails once the operation's signal has aborted is the cancellation (exit 130), whatever the reason", () => {
  const controller = new AbortController();
  const reason = new Error("received SIGINT");
  assert.equal(toConnectorError(reason, controller.signal).code, "INTERNAL");
  controller.abort(reason);
  for (const err of [
    reason,
    "a string reason",
    createError("NET_FAILED", { method: "GET", url: "/x", reason: "reset" }),
  ]) {
    const e = toConnectorError(err, controller.signal);
    assert.equal(e.code, "REQUEST_ABORTED");
    assert.equal(e.exitCode, 130);
  }
  assert.equal(toConnectorError(reason).code, "INTERNAL");
});
