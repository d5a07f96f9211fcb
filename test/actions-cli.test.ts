/** The actions / action / grant / revoke commands, in-process, against the emulator. */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { after, before, describe, test } from "node:test";
import { startEmulator } from "@entra-connector/graph-emulator";
import type { CommandIO } from "../src/cli/command.ts";
import { readInput } from "../src/cli/commands/action.ts";
import { runCli } from "../src/cli/program.ts";
import { EXIT, isConnectorError } from "../src/index.ts";
import { openStore } from "../src/store/index.ts";
import { type Emulator, type GroupObj, type Obj, PASSWORD } from "./actions-emulator-support.ts";
import { emulatorEnv } from "./sync-support.ts";

let emu: Emulator;
let dir: string;
let env: NodeJS.ProcessEnv;
before(async () => {
  emu = await startEmulator({
    port: 0,
    size: "s",
    seed: 3,
    permissions: "write",
    latency: "none",
    throttle: false,
  });
  dir = mkdtempSync(join(tmpdir(), "entra-actions-cli-"));
  env = emulatorEnv(emu, join(dir, "store.db"));
});
after(async () => {
  await emu.close();
  rmSync(dir, { recursive: true, force: true });
});

function sink() {
  let text = "";
  const stream = new Writable({
    write(chunk, _enc, done) {
      text += String(chunk);
      done();
    },
  });
  return { stream, text: () => text };
}

async function cli(...argv: string[]) {
  const out = sink();
  const err = sink();
  const io: CommandIO = { stdout: out.stream, stderr: err.stream, env, signal: new AbortController().signal };
  const code = await runCli(argv, io);
  return { code, stdout: out.text(), stderr: err.text() };
}

const snapshot = () => emu.snapshot() as unknown as { users: Obj[]; groups: GroupObj[] };

describe("entra-connector actions", () => {
  test("--json lists every action with a JSON Schema of its input", async () => {
    const { code, stdout } = await cli("actions", "--json");
    assert.equal(code, EXIT.ok);
    const list = JSON.parse(stdout) as { name: string; write: boolean; inputSchema: { type: string } }[];
    assert.equal(list.length, 23);
    assert.ok(list.every((a) => a.inputSchema.type === "object"));
    assert.ok(list.find((a) => a.name === "create-user")?.write);
  });

  test("the plain list names each input and marks writes", async () => {
    const { stdout } = await cli("actions");
    assert.match(stdout, /^add-user-to-group \(write\) — .*\n {4}group: string \(required\)/m);
  });
});

describe("entra-connector action", () => {
  test("a read prints JSON on stdout", async () => {
    const user = snapshot().users[1]!;
    const { code, stdout } = await cli("action", "get-user", "--input", JSON.stringify({ user: user.id }));
    assert.equal(code, EXIT.ok);
    assert.equal(JSON.parse(stdout).user.id, user.id);
  });

  test("a write without --provisioning exits non-zero with a JSON error saying how to enable it", async () => {
    const snap = snapshot();
    const group = snap.groups.find(
      (g) =>
        g["securityEnabled"] === true &&
        g["onPremisesSyncEnabled"] !== true &&
        g["mailEnabled"] !== true &&
        (g["groupTypes"] as string[]).length === 0,
    )!;
    const user = snap.users.find(
      (u) => !group.members.includes(u.id) && u["onPremisesSyncEnabled"] !== true,
    )!;
    const input = JSON.stringify({ user: user.id, group: group.id });
    const refused = await cli("action", "add-user-to-group", "--input", input);
    assert.equal(refused.code, EXIT.permissions);
    assert.equal(refused.stdout, "");
    const error = JSON.parse(refused.stderr).error;
    assert.equal(error.code, "PROVISIONING_DISABLED");
    assert.match(error.fix, /--provisioning/);

    const dry = await cli("action", "add-user-to-group", "--input", input, "--dry-run");
    assert.equal(dry.code, EXIT.ok, dry.stderr);
    assert.deepEqual(
      JSON.parse(dry.stdout).requests.map((r: { method: string }) => r.method),
      ["POST"],
    );

    const file = join(dir, "input.json");
    writeFileSync(file, input);
    const done = await cli("action", "add-user-to-group", "--input-file", file, "--provisioning");
    assert.equal(done.code, EXIT.ok, done.stderr);
    assert.equal(JSON.parse(done.stdout).changed, true);
    assert.ok(
      snapshot()
        .groups.find((g) => g.id === group.id)
        ?.members.includes(user.id),
    );

    const store = await openStore(env["ENTRA_STORE"] as string);
    try {
      const audit = await store.audit.list({ action: "add-user-to-group" });
      assert.deepEqual(
        audit.map((a) => a.result),
        ["failed", "dry-run", "succeeded"],
      );
    } finally {
      await store.close();
    }
  });

  test("create-user twice: the repeat exits 0 with changed:false and the same id", async () => {
    const upn = `cli.twice@${emu.tenantDomain}`;
    const input = JSON.stringify({ displayName: "Cli Twice", userPrincipalName: upn, password: PASSWORD });
    const first = await cli("action", "create-user", "--input", input, "--provisioning");
    assert.equal(first.code, EXIT.ok, first.stderr);
    const again = await cli("action", "create-user", "--input", input, "--provisioning");
    assert.equal(again.code, EXIT.ok, again.stderr);
    const [a, b] = [JSON.parse(first.stdout), JSON.parse(again.stdout)];
    assert.deepEqual([a.changed, b.changed, b.user.id], [true, false, a.user.id]);
  });

  test("--input-file - reads the input from stdin; a bad one names its source", () => {
    const input = { user: "ann@contoso.com", password: PASSWORD };
    assert.deepEqual(
      readInput({ inputFile: "-" }, () => JSON.stringify(input)),
      input,
    );
    assert.throws(
      () => readInput({ inputFile: "-" }, () => "{nope"),
      (err: unknown) =>
        isConnectorError(err, "USAGE") && /--input-file - is not valid JSON/.test(String(err)),
    );
  });

  test("bad JSON, bad input and unknown actions are JSON errors with usage exit codes", async () => {
    const badJson = await cli("action", "get-user", "--input", "{nope");
    assert.equal(badJson.code, EXIT.usage);
    assert.equal(JSON.parse(badJson.stderr).error.code, "USAGE");
    const badInput = await cli("action", "get-user", "--input", '{"user": 7}');
    assert.equal(JSON.parse(badInput.stderr).error.code, "INPUT_INVALID");
    const unknown = await cli("action", "make-coffee");
    assert.equal(JSON.parse(unknown.stderr).error.code, "ACTION_UNKNOWN");
  });
});

describe("entra-connector action: refused flags and --usage-location", () => {
  /** A failure as the action command must report it: stdout empty, one JSON error on stderr. */
  function jsonFailure(run: { code: number; stdout: string; stderr: string }, code: string) {
    assert.notEqual(run.code, EXIT.ok);
    assert.equal(run.stdout, "");
    const { error } = JSON.parse(run.stderr) as { error: { code: string; message: string } };
    assert.equal(error.code, code, error.message);
    return error;
  }

  test("an unknown flag or a missing name is a JSON error on stderr, with --json too", async () => {
    const user = snapshot().users[1]!.id;
    for (const argv of [
      ["action", "get-user", "--bogus"],
      ["action", "get-user", "--bogus", "--json"],
      ["action", "get-user", "--input", JSON.stringify({ user }), "--json", "--dry-run=maybe"],
    ]) {
      const error = jsonFailure(await cli(...argv), "USAGE");
      assert.match(error.message, /unknown option '--(bogus|dry-run=maybe)'/);
    }
    const run = await cli("action", "--json");
    assert.equal(run.code, EXIT.usage);
    assert.match(jsonFailure(run, "USAGE").message, /missing required argument 'name'/);
    jsonFailure(await cli("action", "get-user", "--input", '{"user": 7}', "--json"), "INPUT_INVALID");
  });

  test("--usage-location fills usageLocation where the input has one, and is refused elsewhere", async () => {
    const upn = `cli.location@${emu.tenantDomain}`;
    const input = JSON.stringify({ displayName: "Cli Location", userPrincipalName: upn, password: PASSWORD });
    const dry = await cli("action", "create-user", "--input", input, "--usage-location", "de", "--dry-run");
    assert.equal(dry.code, EXIT.ok, dry.stderr);
    assert.equal(JSON.parse(dry.stdout).requests[0].body.usageLocation, "DE");

    const user = snapshot().users[1]!.id;
    const elsewhere = await cli(
      "action",
      "get-user",
      "--input",
      JSON.stringify({ user }),
      "--usage-location",
      "DE",
    );
    const error = jsonFailure(elsewhere, "USAGE");
    assert.match(
      error.message,
      /applies only to add-remove-user-license, create-user, update-user; get-user/,
    );

    const both = JSON.stringify({ user, jobTitle: "x", usageLocation: "US" });
    const twice = await cli("action", "update-user", "--input", both, "--usage-location", "DE", "--dry-run");
    assert.match(jsonFailure(twice, "USAGE").message, /"US" in the input but DE/);
  });
});

describe("entra-connector grant / revoke", () => {
  test("grant then revoke a role, each repeat-safe", async () => {
    const user = snapshot().users[5]!;
    const args = ["role:Groups Administrator:assigned", user.id, "--provisioning"];
    const granted = await cli("grant", ...args);
    assert.equal(granted.code, EXIT.ok, granted.stderr);
    assert.equal(JSON.parse(granted.stdout).changed, true);
    assert.equal(JSON.parse((await cli("grant", ...args)).stdout).changed, false);
    assert.equal(JSON.parse((await cli("revoke", ...args)).stdout).changed, true);
    assert.equal(JSON.parse((await cli("revoke", ...args)).stdout).changed, false);
  });

  test("an unknown entitlement kind is a usage error", async () => {
    const { code, stderr } = await cli("grant", "printer:x:member", "someone", "--provisioning");
    assert.equal(code, EXIT.usage);
    assert.equal(JSON.parse(stderr).error.code, "ENTITLEMENT_INVALID");
  });
});
