/**
 * `action --input-file -` as a user runs it: the CLI in a child process reads the input, password
 * included, from stdin, so the password never appears in the process list.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { startEmulator } from "@entra-connector/graph-emulator";
import { type Emulator, type Obj, PASSWORD } from "./actions-emulator-support.ts";
import { runCliCollect } from "./support/child-process.ts";
import { emulatorEnv } from "./sync-support.ts";

let emu: Emulator;
let dir: string;
before(async () => {
  emu = await startEmulator({
    port: 0,
    size: "s",
    seed: 5,
    permissions: "write",
    latency: "none",
    throttle: false,
  });
  dir = mkdtempSync(join(tmpdir(), "entra-actions-stdin-"));
});
after(async () => {
  await emu.close();
  rmSync(dir, { recursive: true, force: true });
});

function runWithStdin(args: string[], stdin: string) {
  return runCliCollect(args, emulatorEnv(emu, join(dir, "store.db")), { stdin });
}

test("create-user with --input-file - takes its password from stdin, not the command line", async () => {
  const upn = `stdin.user@${emu.tenantDomain}`;
  const input = JSON.stringify({ displayName: "Stdin User", userPrincipalName: upn, password: PASSWORD });
  const args = ["action", "create-user", "--input-file", "-", "--provisioning"];
  const run = await runWithStdin(args, input);
  assert.equal(run.code, 0, run.stderr);
  const out = JSON.parse(run.stdout) as { changed: boolean; user: Obj };
  assert.equal(out.changed, true);
  assert.doesNotMatch(run.stdout, new RegExp(PASSWORD));
  const users = (emu.snapshot() as unknown as { users: Obj[] }).users;
  assert.equal(users.find((u) => u.id === out.user.id)?.["userPrincipalName"], upn);
});
