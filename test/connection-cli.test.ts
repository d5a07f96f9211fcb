/**
 * `entra-connector connection add|list|remove|test` on the service's state, against the emulator: a
 * secret from stdin (never a flag), a certificate from files, a delegated connection waiting for its
 * sign-in, the test's cause for a wrong secret, and removal.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { startEmulator } from "@entra-connector/graph-emulator";
import { runCli } from "../src/cli/program.ts";
import { connectionDir, openServiceState, serviceStatePath } from "../src/index.ts";
import { textSink } from "./connection-support.ts";
import { runCliCollect } from "./support/child-process.ts";
import type { Emulator } from "./sync-support.ts";

let emu: Emulator;
let dir: string;
let env: Record<string, string>;

before(async () => {
  emu = await startEmulator({ port: 0, size: "s", seed: 13, latency: "none", throttle: false, faultRate: 0 });
  dir = mkdtempSync(join(tmpdir(), "connection-cli-"));
  env = {
    ENTRA_AUTHORITY_HOST: emu.authorityHost,
    ENTRA_GRAPH_URL: emu.graphRoot,
    ENTRA_CA_FILE: emu.caFile,
    ENTRA_STORE: join(dir, "store.db"),
    ENTRA_TENANT_SIZE: "small",
    ENTRA_LOG_LEVEL: "silent",
  };
});
after(async () => {
  await emu.close();
  rmSync(dir, { recursive: true, force: true });
});

async function cli(argv: string[], extra: Record<string, string> = {}) {
  const out = textSink();
  const err = textSink();
  const code = await runCli(argv, {
    stdout: out.stream,
    stderr: err.stream,
    env: { ...env, ...extra },
    signal: new AbortController().signal,
  });
  return { code, out: out.text(), err: err.text() };
}

const tenant = () => ["--tenant-id", emu.tenantId];

test("connection add reads the secret from stdin; its test names a wrong secret; list, test and remove", async () => {
  const added = await runCliCollect(
    [
      "connection",
      "add",
      "--name",
      "Contoso",
      ...tenant(),
      "--client-id",
      emu.clientId,
      "--client-secret-stdin",
      "--json",
    ],
    env,
    { stdin: `${emu.clientSecret}\n`, isolatedEnv: true },
  );
  assert.equal(added.code, 0, added.stderr);
  const { connection, check } = JSON.parse(added.stdout) as {
    connection: { id: string; credential: { type: string } };
    check: { ok: boolean; error?: unknown };
  };
  assert.equal(connection.id, "contoso");
  assert.equal(connection.credential.type, "secret");
  assert.equal(check.error, undefined, added.stdout);
  assert.ok(!added.stdout.includes(emu.clientSecret) && !added.stderr.includes(emu.clientSecret));

  const wrong = await cli(
    ["connection", "add", "--name", "Wrong", ...tenant(), "--client-id", emu.clientId],
    { ENTRA_CLIENT_SECRET: "not-the-secret" },
  );
  assert.equal(wrong.code, 0, wrong.err);
  assert.match(wrong.err, /test: failed: Sign-in failed: the client secret is not valid/);

  const cert = emu.apps.certificate;
  const withCert = await cli([
    "connection",
    "add",
    "--name",
    "Cert",
    "--id",
    "cert-app",
    ...tenant(),
    "--client-id",
    cert.clientId,
    "--certificate",
    cert.certificateFile,
    "--key",
    cert.keyFile,
    "--schedule",
    "every 1h",
  ]);
  assert.equal(withCert.code, 0, withCert.err);
  assert.equal(withCert.out, "cert-app\n");
  const delegated = await cli([
    "connection",
    "add",
    "--name",
    "Delegated",
    ...tenant(),
    "--client-id",
    emu.apps.delegated.clientId,
    "--delegated",
  ]);
  assert.equal(delegated.code, 0, delegated.err);

  const list = await cli(["connection", "list"]);
  assert.equal(list.code, 0, list.err);
  assert.match(list.out, /^contoso\tmanaged\tContoso\t/m);
  assert.match(list.out, /^cert-app\tmanaged\tCert\t.*certificate\tevery 3600s$/m);
  assert.match(list.out, /^delegated\tmanaged\t.*delegated \(not signed in\)/m);
  const json = JSON.parse((await cli(["connection", "list", "--json"])).out) as { items: { id: string }[] };
  assert.deepEqual(json.items.map((i) => i.id).sort(), ["cert-app", "contoso", "delegated", "wrong"]);

  assert.equal((await cli(["connection", "test", "cert-app"])).out, "test: ok\n");
  const failing = await cli(["connection", "test", "wrong", "--json"]);
  assert.notEqual(failing.code, 0);
  assert.equal((JSON.parse(failing.out) as { error: { code: string } }).error.code, "AUTH_INVALID_SECRET");

  assert.equal((await cli(["connection", "remove", "wrong"])).code, 0);
  assert.equal(existsSync(connectionDir(dir, "wrong")), false);
  const gone = await cli(["connection", "test", "wrong"]);
  assert.match(gone.err, /CONNECTION_NOT_FOUND/);

  const state = openServiceState(serviceStatePath(dir));
  try {
    assert.ok((await state.listAudit()).every((e) => e.actor === "cli"));
  } finally {
    await state.close();
  }
  const bytes = readFileSync(serviceStatePath(dir));
  assert.equal(bytes.includes(emu.clientSecret), false, "the secret is sealed in the state");
});

test("connection add refuses a missing or doubled credential before storing anything", async () => {
  const none = await cli(["connection", "add", "--name", "X", ...tenant(), "--client-id", emu.clientId]);
  assert.equal(none.code, 2);
  assert.match(none.err, /--client-secret-stdin/);
  const two = await cli(
    ["connection", "add", "--name", "X", ...tenant(), "--client-id", emu.clientId, "--delegated"],
    {
      ENTRA_CLIENT_SECRET: "s",
    },
  );
  assert.equal(two.code, 2);
  const badTenant = await cli([
    "connection",
    "add",
    "--name",
    "X",
    "--tenant-id",
    "nope",
    "--client-id",
    emu.clientId,
    "--delegated",
  ]);
  assert.equal(badTenant.code, 2);
  assert.match(badTenant.err, /tenant/i);
});
