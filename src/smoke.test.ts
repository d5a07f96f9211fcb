import assert from "node:assert/strict";
import { test } from "node:test";

test("runs on Node 24 with type stripping", () => {
  assert.equal(Number(process.versions.node.split(".")[0]) >= 24, true);
});
