/**
 * A credential changed between runs against the same store (and so the same token cache), each run
 * a real CLI process: the cached token of the old credential must never stand in for the new one.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, test } from "node:test";
import { type Emulator, startEmulator } from "@entra-connector/graph-emulator";
import { connectionEnv } from "./connection-support.ts";
import { runCliCollect } from "./support/child-process.ts";

let emu: Emulator;
before(async () => {
  emu = await startEmulator({ port: 0, size: "s", seed: 7, permissions: "write" });
});
after(() => emu.close());

test("a wrong secret after a good sign-in: check fails with its cause, sync and writes are refused", async () => {
  const env = connectionEnv(emu);
  const good = await runCliCollect(["check"], env);
  assert.equal(good.code, 0, good.stdout + good.stderr);

  const wrong = await runCliCollect(["check"], { ...env, ENTRA_CLIENT_SECRET: "not-the-secret-value" });
  assert.equal(wrong.code, 3, wrong.stdout + wrong.stderr);
  assert.match(wrong.stdout, /✗ sign-in failed: .*AADSTS7000215/);
  assert.doesNotMatch(wrong.stdout, /Sign-in +ok/);

  const secretId = await runCliCollect(["check"], { ...env, ENTRA_CLIENT_SECRET: randomUUID() });
  assert.equal(secretId.code, 3, secretId.stdout);
  assert.match(secretId.stdout, /looks like a Secret ID/);

  const sync = await runCliCollect(["sync", "--kinds", "users"], {
    ...env,
    ENTRA_CLIENT_SECRET: "not-the-secret-value",
  });
  assert.notEqual(sync.code, 0, sync.stdout + sync.stderr);
  assert.match(sync.stdout + sync.stderr, /AADSTS7000215/);

  const user = (emu.snapshot()["users"] as { id: string }[])[0] as { id: string };
  const write = await runCliCollect(
    ["--provisioning", "action", "update-user", "--input", JSON.stringify({ user: user.id, jobTitle: "X" })],
    { ...env, ENTRA_CLIENT_SECRET: "not-the-secret-value" },
  );
  assert.equal(write.code, 3, write.stdout + write.stderr);
  assert.match(write.stderr, /AUTH_INVALID_SECRET/);
  assert.notEqual(emu.tenant.get("user", user.id)?.["jobTitle"], "X");

  // The good secret still signs in from the same cache.
  assert.equal((await runCliCollect(["check"], env)).code, 0);
});

test("permissions reduced after a sign-in: check lists the grants of a token issued now", async () => {
  const env = connectionEnv(emu);
  const before = await runCliCollect(["check", "--json"], env);
  assert.equal(before.code, 0, before.stdout + before.stderr);
  assert.ok(JSON.parse(before.stdout).token.permissions.includes("User.ReadWrite.All"));

  emu.setPermissions(["User.Read.All"]);
  try {
    const after = await runCliCollect(["check", "--json"], env);
    assert.equal(after.code, 6, after.stdout + after.stderr);
    const report = JSON.parse(after.stdout);
    assert.deepEqual(report.token.permissions, ["User.Read.All"]);
    assert.ok(report.permissionsToAdd.includes("GroupMember.Read.All"));
  } finally {
    emu.setPermissions("write");
  }
});
