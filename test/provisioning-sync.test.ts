/**
 * After writes through actions and grants, the next incremental sync shows them: the store then
 * agrees with the tenant exactly (the sync kit's comparison of exports against the snapshot). Two
 * rounds, so that revokes, a licence removal and a restore undo what the store already holds.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  addRemoveUserLicense,
  createConnection,
  createGroup,
  createUser,
  deleteGroup,
  deleteUser,
  disableUser,
  grant,
  loadConfig,
  recentlyCreated,
  restoreUser,
  revoke,
} from "../src/index.ts";
import { PASSWORD } from "./actions-emulator-support.ts";
import { comparison, startHarness } from "./sync-support.ts";

test("writes show up in the next incremental sync and the store matches the tenant", async () => {
  const h = await startHarness({ size: "s", seed: 11 });
  const connection = createConnection(loadConfig({ env: h.env }), { env: h.env, persistTokens: false });
  const deps = {
    graph: connection.graph,
    writesEnabled: true,
    audit: h.store.audit,
    recent: recentlyCreated(),
  };
  /** An incremental sync, then the store compared with the tenant, export by export. */
  const syncAndCompare = async (round: string) => {
    const inc = await h.sync();
    assert.equal(inc.run.kind, "incremental");
    assert.equal(inc.run.status, "succeeded", JSON.stringify(inc.streams));
    const compared = await comparison(h.store, h.emu.snapshot() as Record<string, unknown>);
    for (const [kind, { actual, expected }] of Object.entries(compared)) {
      assert.deepEqual(
        actual,
        expected,
        `${round}: ${kind} differ from the tenant after the incremental sync`,
      );
    }
  };
  const changed = async (what: string, write: Promise<{ changed: boolean }>) =>
    assert.equal((await write).changed, true, what);
  try {
    assert.equal((await h.sync()).run.status, "succeeded");
    const snap = h.emu.snapshot() as unknown as {
      users: {
        id: string;
        onPremisesSyncEnabled?: boolean;
        assignedLicenses?: { skuId: string }[];
      }[];
      servicePrincipals: { id: string; displayName: string; appRoles?: { value: string }[] }[];
    };
    const apps = snap.servicePrincipals.filter((sp) => (sp.appRoles ?? []).length > 0);
    const [withRoles, other] = apps as [(typeof apps)[0], (typeof apps)[0]];
    const cloud = snap.users.filter((u) => u.onPremisesSyncEnabled !== true);
    const [a, b, leaver, later] = cloud.slice(3, 7) as [Id, Id, Id, Id];
    const licensed = cloud.find(
      (u) => (u.assignedLicenses ?? []).length > 0 && ![a, b, leaver, later].includes(u),
    )!;
    const joiner = await createUser(deps, {
      displayName: "Synced Later",
      userPrincipalName: `synced.later@${h.emu.tenantDomain}`,
      password: PASSWORD,
      usageLocation: "US",
    });
    const team = await createGroup(deps, { displayName: "Sync Check Team", members: [a.id], owners: [b.id] });
    const grants: [string, string][] = [
      [`group:${team.group.id}:member`, joiner.user.id],
      [`group:${team.group.id}:owner`, joiner.user.id],
      ["role:User Administrator:assigned", joiner.user.id],
      ["role:Groups Administrator:eligible", a.id],
      [`app:${withRoles.displayName}:role:${withRoles.appRoles![0]!.value}`, joiner.user.id],
      [`app:${other.id}:assigned`, `group:${team.group.id}`],
      ["license:POWER_BI_PRO:assigned", joiner.user.id],
    ];
    for (const [entitlement, principal] of grants) {
      await changed(`grant ${entitlement}`, grant(deps, { entitlement, principal }));
    }
    await changed(
      "revoke member",
      revoke(deps, { entitlement: `group:${team.group.id}:member`, principal: a.id }),
    );
    await changed("disable", disableUser(deps, { user: b.id }));
    await changed("delete group", deleteGroup(deps, { group: pick(h.emu.snapshot()) }));
    await changed("delete user", deleteUser(deps, { user: leaver.id }));
    await syncAndCompare("after grants and deletes");

    // What was granted, assigned or deleted above is taken back; the store must follow.
    for (const [entitlement, principal] of grants.slice(2)) {
      await changed(`revoke ${entitlement}`, revoke(deps, { entitlement, principal }));
    }
    const held = licensed.assignedLicenses![0]!.skuId;
    await changed(
      "remove licence",
      addRemoveUserLicense(deps, { user: licensed.id, removeLicenses: [held] }),
    );
    await changed("restore user", restoreUser(deps, { user: leaver.id }));
    await changed("delete another user", deleteUser(deps, { user: later.id }));
    await syncAndCompare("after revokes, a licence removal, a restore and a delete");
  } finally {
    await connection.close();
    await h.close();
  }
});

type Id = { id: string };

/** An ordinary security group to delete. */
function pick(snapshot: Record<string, unknown>): string {
  const groups = snapshot["groups"] as {
    id: string;
    groupTypes: string[];
    onPremisesSyncEnabled?: boolean;
    mailEnabled: boolean;
  }[];
  return groups.find((g) => g.groupTypes.length === 0 && g.onPremisesSyncEnabled !== true && !g.mailEnabled)!
    .id;
}
