/** grant / revoke of every entitlement kind against the emulator. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { createUser, grant, revoke } from "../src/index.ts";
import {
  byId,
  code,
  fileHarness,
  PASSWORD,
  pick,
  type Snapshot,
  startActionHarness,
  withFaults,
  withPermissions,
} from "./actions-emulator-support.ts";

const h = fileHarness();

/** Grants, checks the tenant, grants again (no change), revokes, checks, revokes again (no change). */
async function roundTrip(entitlement: string, principal: string, holds: (s: Snapshot) => boolean) {
  const first = await grant(h.deps(), { entitlement, principal });
  assert.equal(first.changed, true, `grant ${entitlement}`);
  assert.ok(holds(await h.snapshot()), `${entitlement} is held after grant`);
  assert.equal((await grant(h.deps(), { entitlement, principal })).changed, false);
  assert.equal((await revoke(h.deps(), { entitlement, principal })).changed, true);
  assert.ok(!holds(await h.snapshot()), `${entitlement} is gone after revoke`);
  assert.equal((await revoke(h.deps(), { entitlement, principal })).changed, false);
  return first;
}

const guest = (s: Snapshot) =>
  s.users.filter((u) => u["userType"] !== "Guest" && u["onPremisesSyncEnabled"] !== true);

describe("group entitlements", () => {
  test("group:<g>:member for a user and for a nested group", async () => {
    const snap = await h.snapshot();
    const group = pick.securityGroup(snap, 3);
    const user = guest(snap).find((u) => !group.members.includes(u.id))!;
    const out = await roundTrip(
      `group:${group["displayName"]}:member`,
      user["userPrincipalName"] as string,
      (s) => byId(s.groups, group.id)!.members.includes(user.id),
    );
    assert.deepEqual([out.entitlement, out.objectId, out.principalId], ["group:member", group.id, user.id]);
    const child = pick.securityGroup(snap, 4);
    await roundTrip(`group:${group.id}:member`, `group:${child.id}`, (s) =>
      byId(s.groups, group.id)!.members.includes(child.id),
    );
  });

  test("group:<g>:owner", async () => {
    const snap = await h.snapshot();
    const group = pick.securityGroup(snap, 3);
    const user = guest(snap).find((u) => !group.owners.includes(u.id))!;
    await roundTrip(`group:${group.id}:owner`, user.id, (s) =>
      byId(s.groups, group.id)!.owners.includes(user.id),
    );
  });
});

describe("directory roles", () => {
  test("role:<r>:assigned by display name", async () => {
    const user = guest(await h.snapshot())[8]!;
    const out = await roundTrip("role:User Administrator:assigned", user.id, (s) =>
      s.roleAssignments.some(
        (a) =>
          a["principalId"] === user.id && a["roleDefinitionId"] === "fe930be7-5e62-47db-91af-98c3a49a38b1",
      ),
    );
    assert.equal(out.entitlement, "role:assigned");
  });

  test("role:<r>:eligible (PIM)", async () => {
    const user = guest(await h.snapshot())[9]!;
    await roundTrip("role:groups administrator:eligible", user.id, (s) =>
      s.roleEligibilitySchedules.some(
        (a) =>
          a["principalId"] === user.id && a["roleDefinitionId"] === "fdd7a751-b60b-444a-984c-02652fe8fa1c",
      ),
    );
  });

  test("PIM without an Entra ID P2 licence is explained, not reported as a permission", async () => {
    const bare = await startActionHarness({ p2: false, counts: { users: 4, groups: 2 } });
    try {
      const user = (await bare.snapshot()).users[0]!;
      const input = { entitlement: "role:User Administrator:eligible", principal: user.id };
      await assert.rejects(grant(bare.deps(), input), (err: unknown) => {
        code("PIM_NOT_LICENSED")(err);
        assert.match((err as { fix: string }).fix, /role:<role>:assigned/);
        return true;
      });
    } finally {
      await bare.close();
    }
  });

  test("without role write permission the permission is named", async () => {
    const user = guest(await h.snapshot())[10]!;
    await withPermissions(h, ["Directory.Read.All", "RoleManagement.Read.Directory"], async () => {
      await assert.rejects(
        grant(h.deps(), { entitlement: "role:User Administrator:assigned", principal: user.id }),
        (err: unknown) => {
          code("PERMISSION_MISSING")(err);
          assert.match((err as Error).message, /RoleManagement\.ReadWrite\.Directory/);
          return true;
        },
      );
    });
  });
});

describe("enterprise apps", () => {
  const appWithRoles = (s: Snapshot) => s.servicePrincipals.find((sp) => sp["displayName"] === "ServiceNow")!;
  const assigned = (s: Snapshot, appId: string, principal: string, role: string) =>
    byId(s.servicePrincipals, appId)!.appRoleAssignedTo.some(
      (a) => a["principalId"] === principal && a["appRoleId"] === role,
    );

  test("app:<a>:assigned (default access) and app:<a>:role:<value>", async () => {
    const snap = await h.snapshot();
    const app = appWithRoles(snap);
    const user = guest(snap)[11]!;
    await roundTrip(`app:${app.id}:assigned`, user.id, (s) =>
      assigned(s, app.id, user.id, "00000000-0000-0000-0000-000000000000"),
    );
    const admin = (app["appRoles"] as { id: string; value: string }[]).find((r) => r.value === "Admin")!;
    const out = await roundTrip("app:ServiceNow:role:admin", `user:${user["userPrincipalName"]}`, (s) =>
      assigned(s, app.id, user.id, admin.id),
    );
    assert.equal(out.entitlement, `app:role:${admin.id}`);
  });

  test("an unknown app role lists the app's roles", async () => {
    const user = guest(await h.snapshot())[11]!;
    await assert.rejects(
      grant(h.deps(), { entitlement: "app:ServiceNow:role:Owner", principal: user.id }),
      (err: unknown) => {
        code("OBJECT_NOT_FOUND")(err);
        assert.match((err as Error).message, /Read, Write, Admin/);
        return true;
      },
    );
  });
});

describe("licences", () => {
  const holds = (s: Snapshot, userId: string, skuId: string) =>
    ((byId(s.users, userId)?.["assignedLicenses"] as { skuId: string }[] | undefined) ?? []).some(
      (l) => l.skuId === skuId,
    );

  test("license:<sku>:assigned by part number", async () => {
    const snap = await h.snapshot();
    const sku = snap.subscribedSkus.find((k) => k["skuPartNumber"] === "POWER_BI_PRO")!;
    const user = guest(snap).find((u) => !holds(snap, u.id, sku["skuId"] as string))!;
    await roundTrip("license:POWER_BI_PRO:assigned", user.id, (s) =>
      holds(s, user.id, sku["skuId"] as string),
    );
  });

  test("no free seat and no usage location are explained", async () => {
    const snap = await h.snapshot();
    const user = guest(snap)[12]!;
    await assert.rejects(
      grant(h.deps(), { entitlement: "license:ENTERPRISEPREMIUM:assigned", principal: user.id }),
      (err: unknown) => {
        code("LICENSE_NO_SEATS")(err);
        assert.match((err as Error).message, /ENTERPRISEPREMIUM .*3 of 3/);
        return true;
      },
    );
    await assert.rejects(
      grant(h.deps(), {
        entitlement: "license:POWER_BI_PRO:assigned",
        principal: "group:" + pick.securityGroup(snap).id,
      }),
      code("ENTITLEMENT_INVALID"),
    );
    const fresh = await createUser(h.deps(), {
      displayName: "No Location",
      userPrincipalName: `no.location@${h.emu.tenantDomain}`,
      password: PASSWORD,
    });
    const input = { entitlement: "license:STANDARDPACK:assigned", principal: fresh.user.id };
    await assert.rejects(grant(h.deps(), input), (err: unknown) => {
      code("LICENSE_USAGE_LOCATION")(err);
      assert.match((err as { fix: string }).fix, /--usage-location/);
      return true;
    });
    assert.equal((await grant(h.deps(), { ...input, usageLocation: "gb" })).changed, true);
    assert.equal(byId((await h.snapshot()).users, fresh.user.id)?.["usageLocation"], "GB");
  });
});

describe("without write permission", () => {
  test("grant and revoke of each kind name the permission that kind needs", async () => {
    const snap = await h.snapshot();
    const [holder, other] = guest(snap).slice(13, 15) as [Snapshot["users"][0], Snapshot["users"][0]];
    const group = pick.securityGroup(snap, 8);
    const app = snap.servicePrincipals.find((sp) => sp["displayName"] === "ServiceNow")!;
    const kinds: [string, RegExp][] = [
      [`group:${group.id}:member`, /GroupMember\.ReadWrite\.All/],
      ["role:User Administrator:assigned", /RoleManagement\.ReadWrite\.Directory/],
      [`app:${app.id}:assigned`, /AppRoleAssignment\.ReadWrite\.All/],
      ["license:POWER_BI_PRO:assigned", /LicenseAssignment\.ReadWrite\.All/],
    ];
    // Revoking needs something held: without it nothing is sent, so nothing is refused.
    for (const [entitlement] of kinds) await grant(h.deps(), { entitlement, principal: holder.id });
    const refused = (permission: RegExp) => (err: unknown) => {
      code("PERMISSION_MISSING")(err);
      assert.match((err as Error).message, permission);
      return true;
    };
    await withPermissions(h, "read", async () => {
      for (const [entitlement, permission] of kinds) {
        await assert.rejects(
          revoke(h.deps(), { entitlement, principal: holder.id }),
          refused(permission),
          `revoke ${entitlement}`,
        );
        await assert.rejects(
          grant(h.deps(), { entitlement, principal: other.id }),
          refused(permission),
          `grant ${entitlement}`,
        );
      }
    });
    const audit = await h.store.audit.list();
    assert.deepEqual(
      audit.slice(-8).map((a) => a.result),
      Array(8).fill("failed"),
    );
  });
});

describe("replication lag", () => {
  test("a user created a moment ago is granted each kind, and revoked again at once", async () => {
    const snap = await h.snapshot();
    const group = pick.securityGroup(snap, 7);
    const app = snap.servicePrincipals.find((sp) => sp["displayName"] === "ServiceNow")!;
    // Fresh objects (the user, and each assignment granted to it) are left out of lists meanwhile.
    await withFaults(h, { replicationLagMs: 400 }, async () => {
      const fresh = await createUser(h.deps(), {
        displayName: "Lagging Lou",
        userPrincipalName: `lagging.lou@${h.emu.tenantDomain}`,
        password: PASSWORD,
        usageLocation: "US",
      });
      const principal = fresh.user.id;
      for (const entitlement of [
        `group:${group.id}:member`,
        "role:User Administrator:assigned",
        "role:Groups Administrator:eligible",
        `app:${app.id}:assigned`,
        "license:POWER_BI_PRO:assigned",
      ]) {
        const changes = [
          (await grant(h.deps(), { entitlement, principal })).changed,
          (await grant(h.deps(), { entitlement, principal })).changed,
          (await revoke(h.deps(), { entitlement, principal })).changed,
          (await revoke(h.deps(), { entitlement, principal })).changed,
        ];
        assert.deepEqual(changes, [true, false, true, false], entitlement);
      }
      const s = await h.snapshot();
      const held = [
        byId(s.groups, group.id)!.members.includes(principal),
        s.roleAssignments.some((a) => a["principalId"] === principal),
        s.roleEligibilitySchedules.some((a) => a["principalId"] === principal),
        byId(s.servicePrincipals, app.id)!.appRoleAssignedTo.some((a) => a["principalId"] === principal),
        ((byId(s.users, principal)?.["assignedLicenses"] as unknown[]) ?? []).length > 0,
      ];
      assert.deepEqual(held, [false, false, false, false, false], "nothing is left held");
    });
  });
});

describe("the gate, dry run, bad input, faults", () => {
  test("refused without provisioning; a dry run shows the request and sends nothing", async () => {
    const snap = await h.snapshot();
    const group = pick.securityGroup(snap, 5);
    const user = guest(snap).find((u) => !group.members.includes(u.id))!;
    const input = { entitlement: `group:${group.id}:member`, principal: user.id };
    await assert.rejects(grant(h.deps({ writesEnabled: false }), input), code("PROVISIONING_DISABLED"));
    const dry = await grant(h.deps({ writesEnabled: false }), input, { dryRun: true });
    assert.equal(dry.changed, true);
    assert.deepEqual(
      dry.requests?.map((r) => `${r.method} ${r.url}`),
      [`POST /groups/${group.id}/members/$ref`],
    );
    assert.ok(!byId((await h.snapshot()).groups, group.id)!.members.includes(user.id));
    const audit = await h.store.audit.list({ action: "grant" });
    assert.deepEqual(
      audit.slice(-2).map((a) => a.result),
      ["failed", "dry-run"],
    );
  });

  test("bad entitlements and principals are clear errors", async () => {
    await assert.rejects(
      grant(h.deps(), { entitlement: "group:x", principal: "y" }),
      code("ENTITLEMENT_INVALID"),
    );
    await assert.rejects(
      grant(h.deps(), { entitlement: "group:Nope' or 1 eq 1:member", principal: "y" }),
      code("OBJECT_NOT_FOUND"),
    );
    await assert.rejects(
      grant(h.deps(), { entitlement: 42, principal: "y" } as never),
      code("INPUT_INVALID"),
    );
  });

  test("with faults on, a grant lands exactly once", async () => {
    const snap = await h.snapshot();
    const group = pick.securityGroup(snap, 6);
    const user = guest(snap).find((u) => !group.members.includes(u.id))!;
    await withFaults(h, { faultRate: 0.2 }, async () => {
      const input = { entitlement: `group:${group.id}:member`, principal: user.id };
      await grant(h.deps(), input);
      assert.equal((await grant(h.deps(), input)).changed, false);
    });
    assert.equal(byId((await h.snapshot()).groups, group.id)!.members.filter((m) => m === user.id).length, 1);
  });
});
