/**
 * A directory role held by a role-assignable group: the sync records the holder as a group (not as an
 * untyped directoryObject), so `grants --role` lists the group's members as holding the role through
 * it, and change events name the right principal type.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { runCli } from "../src/cli/program.ts";
import { createConnection, loadConfig } from "../src/index.ts";
import type { Grant } from "../src/store/types.ts";
import { textSink } from "./connection-support.ts";
import { type Harness, startHarness } from "./sync-support.ts";

type Obj = Record<string, unknown> & { id: string };

/** Creates a role-assignable group with these members and gives it the role, through Graph as an admin would. */
async function groupHoldingRole(
  h: Harness,
  name: string,
  memberIds: string[],
  roleId: string,
): Promise<string> {
  const connection = createConnection(loadConfig({ env: h.env }), { env: h.env, persistTokens: false });
  try {
    const group = await connection.graph.request<Obj>("/groups", {
      method: "POST",
      body: {
        displayName: name,
        mailEnabled: false,
        mailNickname: name.toLowerCase().replace(/\W/g, ""),
        securityEnabled: true,
        isAssignableToRole: true,
        "members@odata.bind": memberIds.map((id) => `https://graph.microsoft.com/v1.0/users/${id}`),
      },
    });
    await connection.graph.request("/roleManagement/directory/roleAssignments", {
      method: "POST",
      body: { principalId: group.body.id, roleDefinitionId: roleId, directoryScopeId: "/" },
    });
    return group.body.id;
  } finally {
    await connection.close();
  }
}

async function roleFixture(h: Harness): Promise<{ roleId: string; members: string[] }> {
  const snapshot = (await h.emu.snapshot()) as {
    users: Obj[];
    roleDefinitions: Obj[];
    roleAssignments: Obj[];
  };
  const held = new Set(snapshot.roleAssignments.map((a) => a["roleDefinitionId"]));
  const role = snapshot.roleDefinitions.find((d) => !held.has(d.id));
  assert.ok(role, "a role nobody holds yet");
  const members = snapshot.users.filter((u) => u["userType"] !== "Guest").slice(0, 2);
  assert.equal(members.length, 2);
  return { roleId: role.id, members: members.map((u) => u.id) };
}

async function grantsOnRole(h: Harness, roleId: string): Promise<Grant[]> {
  const out = textSink();
  const err = textSink();
  const code = await runCli(["grants", "--role", roleId, "--json"], {
    stdout: out.stream,
    stderr: err.stream,
    env: h.env,
    signal: new AbortController().signal,
  });
  assert.equal(code, 0, err.text());
  return (JSON.parse(out.text()) as { grants: Grant[] }).grants;
}

async function roleEvents(h: Harness, principalId: string): Promise<Record<string, unknown>[]> {
  const events = await h.store.outbox.read({ limit: 100_000 });
  return events
    .filter((e) => e.data["relation"] === "role:assigned" && e.data["principalId"] === principalId)
    .map((e) => e.data);
}

test("a role held by a group reaches its members in grants --role, on the first sync and on incremental ones", async () => {
  const h = await startHarness({ size: "s", seed: 21 });
  try {
    const { roleId, members } = await roleFixture(h);
    const admins = await groupHoldingRole(h, "Helpdesk Admins", members, roleId);

    // First sync: every stream starts at once, so the roles stream learns the type from Graph.
    const first = await h.sync();
    assert.equal(first.run.status, "succeeded", JSON.stringify(first.streams));
    const grants = await grantsOnRole(h, roleId);
    const direct = grants.find((g) => g.principalId === admins);
    assert.equal(direct?.principalType, "group");
    assert.deepEqual(direct?.path, { how: "direct", via: [] });
    for (const member of members) {
      const through = grants.find((g) => g.principalId === member);
      assert.ok(through, `member ${member} holds the role through the group: ${JSON.stringify(grants)}`);
      assert.equal(through.principalType, "user");
      assert.deepEqual(through.path, { how: "group", via: [admins] });
    }
    assert.deepEqual(
      (await roleEvents(h, admins)).map((e) => e["principalType"]),
      ["group"],
      "the change event triggers see names a group",
    );
    const userHeld = (await h.store.outbox.read({ limit: 100_000 })).filter(
      (e) => e.data["relation"] === "role:assigned" && e.data["principalId"] !== admins,
    );
    assert.ok(userHeld.length > 0);
    assert.ok(
      userHeld.every((e) => e.data["principalType"] === "user"),
      "the generated holders are users",
    );

    // Incremental: the new group is in the store by the time roles run, so no extra request is made.
    const {
      roleId: otherRole,
      members: [auditor],
    } = await roleFixture(h);
    assert.notEqual(otherRole, roleId);
    const auditors = await groupHoldingRole(h, "Role Auditors", [auditor as string], otherRole);
    const next = await h.sync();
    assert.equal(next.run.kind, "incremental");
    assert.equal(
      next.streams["roles"]?.cost.requests,
      1,
      "one $batch, no getByIds: the store knew the group",
    );
    assert.deepEqual(
      (await roleEvents(h, auditors)).map((e) => e["principalType"]),
      ["group"],
    );
    const later = await grantsOnRole(h, otherRole);
    assert.ok(later.some((g) => g.principalId === auditor && g.path.how === "group"));
  } finally {
    await h.close();
  }
});

test("without permission to read directory objects, holders not yet synced keep the unknown type and a warning says why", async () => {
  const h = await startHarness({ size: "s", seed: 22 });
  try {
    const { roleId, members } = await roleFixture(h);
    const admins = await groupHoldingRole(h, "Tier Zero", members, roleId);
    h.emu.setPermissions(["RoleManagement.Read.Directory", "RoleEligibilitySchedule.Read.Directory"]);
    const run = await h.sync({ kinds: "roles" });
    assert.equal(run.run.status, "succeeded", JSON.stringify(run.streams));
    assert.ok(
      run.warnings.some((w) => w.stream === "roles" && /getByIds/.test(w.message)),
      JSON.stringify(run.warnings),
    );
    assert.deepEqual(
      (await roleEvents(h, admins)).map((e) => e["principalType"]),
      ["directoryObject"],
    );
  } finally {
    await h.close();
  }
});
