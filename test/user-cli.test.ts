/** `entra-connector user add|list|remove`: console users with their password from stdin, never stored in clear. */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { openServiceState, serviceStatePath } from "../src/index.ts";
import { runCliCollect } from "./support/child-process.ts";

test("user add reads the password from stdin, keeps only its hash; list and remove manage users", async () => {
  const dir = mkdtempSync(join(tmpdir(), "user-cli-"));
  const env = { ENTRA_STORE: join(dir, "store.db"), ENTRA_LOG_LEVEL: "silent" };
  const password = "a password from stdin";
  try {
    const short = await runCliCollect(["user", "add", "--name", "ada", "--role", "admin"], env, {
      stdin: "short\n",
    });
    assert.equal(short.code, 2);
    assert.match(short.stderr, /at least 12 characters/);
    const added = await runCliCollect(["user", "add", "--name", "ada", "--role", "admin"], env, {
      stdin: `${password}\n`,
    });
    assert.equal(added.code, 0, added.stderr);
    assert.match(added.stderr, /console user ada \(admin\) added/);
    const badRole = await runCliCollect(["user", "add", "--name", "bo", "--role", "root"], env, {
      stdin: `${password}\n`,
    });
    assert.equal(badRole.code, 2);
    const list = await runCliCollect(["user", "list"], env);
    assert.match(list.stdout, /^ada\tadmin\tcreated /);
    const path = serviceStatePath(dir);
    assert.ok(!readFileSync(path).includes(password), "the clear password is in the state file");
    const state = openServiceState(path);
    try {
      assert.equal((await state.verifyUser("ada", password))?.role, "admin");
      assert.equal(await state.verifyUser("ada", `${password}!`), undefined);
    } finally {
      await state.close();
    }
    assert.equal((await runCliCollect(["user", "remove", "ada"], env)).code, 0);
    const again = await runCliCollect(["user", "remove", "ada"], env);
    assert.match(again.stderr, /LOCAL_USER_NOT_FOUND|no console user named ada/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
