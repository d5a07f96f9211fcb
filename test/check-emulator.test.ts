import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { type Emulator, startEmulator } from "@entra-connector/graph-emulator";
import { runCli } from "../src/cli/program.ts";
import { connectionEnv, textSink } from "./connection-support.ts";

let emu: Emulator;
before(async () => {
  emu = await startEmulator({ port: 0, size: "s", seed: 2, permissions: "read" });
});
after(() => emu.close());

async function check(args: string[], extra: Record<string, string> = {}) {
  const out = textSink();
  const err = textSink();
  const code = await runCli(["check", ...args], {
    stdout: out.stream,
    stderr: err.stream,
    env: connectionEnv(emu, extra),
    signal: new AbortController().signal,
  });
  return { code, stdout: out.text(), stderr: err.text() };
}

const WRITE_ADDS = [
  "User.ReadWrite.All",
  "Group.ReadWrite.All",
  "GroupMember.ReadWrite.All",
  "LicenseAssignment.ReadWrite.All",
  "RoleManagement.ReadWrite.Directory",
  "AppRoleAssignment.ReadWrite.All",
];

test("read-only app: sync is usable (exit 0)", async () => {
  const r = await check([]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /✓ sync users/);
  assert.match(r.stdout, /All asked capabilities are usable/);
});

test("without AuditLog.Read.All sync is still usable (exit 0); the audit log capability says what is lost", async () => {
  emu.setPermissions(["Directory.Read.All", "RoleManagement.Read.Directory", "Organization.Read.All"]);
  try {
    const r = await check(["--capabilities", "sync.users,sync.apps,sync.auditLog"]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(
      r.stdout,
      /– sync app assignment changes from the audit log +add AuditLog\.Read\.All \(optional: without it every incremental run re-reads every app's assignments/,
    );
    assert.doesNotMatch(r.stdout, /Missing permissions/);
  } finally {
    emu.setPermissions("read");
  }
});

test("read-only app asked for write: lists exactly the missing write permissions and the consent URL", async () => {
  const r = await check(["--capabilities", "sync,write", "--json"]);
  assert.equal(r.code, 6);
  const report = JSON.parse(r.stdout);
  assert.deepEqual(report.permissionsToAdd, WRITE_ADDS);
  assert.ok(
    report.capabilities
      .filter((c: { id: string }) => c.id.startsWith("sync."))
      .every((c: { granted: boolean }) => c.granted),
  );
  assert.deepEqual(
    report.capabilities.filter((c: { granted: boolean }) => !c.granted).map((c: { id: string }) => c.id),
    [
      "write.users",
      "write.groups",
      "write.memberships",
      "write.licenses",
      "write.roles",
      "write.appAssignments",
    ],
  );
  assert.equal(
    report.consentUrl,
    `${emu.authorityHost}/${emu.tenantId}/adminconsent?client_id=${emu.clientId}`,
  );
  const text = await check(["--capabilities", "write"]);
  assert.match(text.stdout, /✗ write users\s+add User\.ReadWrite\.All \(or Directory\.ReadWrite\.All\)/);
  assert.match(
    text.stdout,
    new RegExp(`Missing permissions \\(Microsoft Graph, application\\): ${WRITE_ADDS.join(", ")}`),
  );
  assert.ok(text.stdout.includes(`/adminconsent?client_id=${emu.clientId}`));
});

test("no permissions granted: says so and gives the consent URL; grants changed at run time are seen", async () => {
  emu.setPermissions([]);
  try {
    const r = await check([]);
    assert.equal(r.code, 6);
    assert.match(r.stdout, /no application permissions are granted to this app/);
    assert.ok(
      r.stdout.includes(`${emu.authorityHost}/${emu.tenantId}/adminconsent?client_id=${emu.clientId}`),
    );
  } finally {
    emu.setPermissions("read");
  }
});

test("a sign-in failure is printed with its cause and fix, exit code 3", async () => {
  const r = await check([], { ENTRA_CLIENT_SECRET: "wrong" });
  assert.equal(r.code, 3);
  assert.match(r.stdout, /✗ sign-in failed: .*AADSTS7000215/);
  assert.match(r.stdout, /fix: Paste the secret's Value/);
});

test("unknown capability names are a usage error", async () => {
  const r = await check(["--capabilities", "sync,teleport"]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /error USAGE: --capabilities: unknown capability teleport/);
});

test("a TLS failure reading Graph after a good sign-in is NET_TLS with its fix (exit 4), never missing consent", async () => {
  // Another emulator: its certificate is signed by a CA this connection does not trust.
  const untrusted = await startEmulator({ port: 0, size: "s", seed: 2 });
  try {
    const env = { ENTRA_GRAPH_URL: untrusted.graphRoot };
    const r = await check([], env);
    assert.equal(r.code, 4, r.stdout + r.stderr);
    assert.match(r.stdout, /Sign-in +ok/);
    assert.match(r.stdout, /✗ reading \/organization failed: TLS to 127\.0\.0\.1:\d+ failed/);
    assert.match(r.stdout, /fix: .*ENTRA_CA_FILE/);
    assert.doesNotMatch(r.stdout, /✓|adminconsent|Grant admin consent/);
    const json = await check(["--json"], env);
    assert.equal(json.code, 4);
    assert.equal(JSON.parse(json.stdout).error.code, "NET_TLS");
  } finally {
    await untrusted.close();
  }
});
