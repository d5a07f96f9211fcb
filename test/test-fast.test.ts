import assert from "node:assert/strict";
import { test } from "node:test";
import { fastTestFiles } from "../scripts/test-fast.ts";

test("npm run test:fast picks the connector's unit tests, not slow, emulator or child-process ones", () => {
  const files = fastTestFiles();
  assert.ok(files.includes("src/graph/limiter.test.ts"));
  assert.ok(files.includes("test/actions-logic.test.ts"));
  assert.ok(!files.some((f) => f.endsWith(".slow.test.ts")));
  assert.ok(!files.some((f) => f.startsWith("packages/")));
  assert.ok(!files.includes("test/sync.test.ts"), "starts the emulator");
  assert.ok(!files.includes("test/triggers-cli.test.ts"), "runs the CLI in child processes");
});
