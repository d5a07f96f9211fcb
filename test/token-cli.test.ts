/** `entra-connector token create --connection`: a token limited to the connections it names, each one the service runs. */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { runCliCollect } from "./support/child-process.ts";

test("token create --connection limits the token to known connections; a misspelt one is refused", async () => {
  const dir = mkdtempSync(join(tmpdir(), "token-cli-"));
  const env = { ENTRA_STORE: join(dir, "store.db"), ENTRA_LOG_LEVEL: "silent" };
  try {
    const unknown = await runCliCollect(
      ["token", "create", "--name", "ci", "--role", "viewer", "--connection", "defualt"],
      env,
    );
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /--connection defualt: no such connection \(known: default\)/);
    const created = await runCliCollect(
      ["token", "create", "--name", "ci", "--role", "viewer", "--connection", "default", "--json"],
      env,
    );
    assert.equal(created.code, 0, created.stderr);
    assert.deepEqual(JSON.parse(created.stdout).connections, ["default"]);
    const list = await runCliCollect(["token", "list"], env);
    assert.match(list.stdout, /^ci\tviewer\tcreated .*\tconnections default\n$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
