/**
 * After writes through actions and grants, the next incremental sync shows them: the store then
 * agrees with the tenant exactly (the sync kit's comparison of exports against the snapshot).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  createConnection,
  createGroup,
  createUser,
  deleteGroup,
  disableUser,
  grant,
  loadConfig,
  recentlyCreated,
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
  try {
    assert.equal((await h.sync()).run.status, "succeeded");
    const snap = h.emu.snapshot() as unknown as {
      users: { id: string }[];
      servicePrincipals: { id: string; displayName: string; appRoles?: { value: string }[] }[];
    };
    const apps = snap.servicePrincipals.filter((sp) => (sp.appRoles ?? []).length > 0);
    const [withRoles, other] = apps as [(typeof apps)[0], (typeof apps)[0]];
    const [a, b] = snap.users.slice(3, 5) as [{ id: string }, { id: string }];
    const joiner = await createUser(deps, {
      displayName: "Synced Later",
      userPrincipalName: `synced.later@${h.emu.tenantDomain}`,
      password: PASSWORD,
      usageLocation: "US",
    });
    const team = await createGroup(deps, { displayName: "Sync Check Team", members: [a.id], owners: [b.id] });
    const writes: [string, string][] = [
      [`group:${team.group.id}:member`, joiner.user.id],
      [`group:${team.group.id}:owner`, joiner.user.id],
      ["role:User Administrator:assigned", joiner.user.id],
      ["role:Groups Administrator:eligible", a.id],
      [`app:${withRoles.displayName}:role:${withRoles.appRoles![0]!.value}`, joiner.user.id],
      [`app:${other.id}:assigned`, `group:${team.group.id}`],
      ["license:POWER_BI_PRO:assigned", joiner.user.id],
    ];
    for (const [entitlement, principal] of writes) {
      assert.equal((await grant(deps, { entitlement, principal })).changed, true, entitlement);
    }
    await revoke(deps, { entitlement: `group:${team.group.id}:member`, principal: a.id });
    await disableUser(deps, { user: b.id });
    await deleteGroup(deps, { group: pick(h.emu.snapshot()) });

    const inc = await h.sync();
    assert.equal(inc.run.kind, "incremental");
    assert.equal(inc.run.status, "succeeded", JSON.stringify(inc.streams));
    const compared = await comparison(h.store, h.emu.snapshot() as Record<string, unknown>);
    for (const [kind, { actual, expected }] of Object.entries(compared)) {
      assert.deepEqual(actual, expected, `${kind} differ from the tenant after the incremental sync`);
    }
  } finally {
    await connection.close();
    await h.close();
  }
});

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
