import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { test } from "node:test";
import { renderActionDocs } from "../src/index.ts";

const DOCS = new URL("../docs/actions.md", import.meta.url);

test("docs/actions.md is the registry's page (UPDATE_ACTION_DOCS=1 rewrites it)", () => {
  const page = renderActionDocs();
  if (process.env["UPDATE_ACTION_DOCS"] === "1") writeFileSync(DOCS, page);
  assert.equal(
    readFileSync(DOCS, "utf8"),
    page,
    "regenerate with UPDATE_ACTION_DOCS=1 npx node --test test/actions-docs.test.ts",
  );
});
