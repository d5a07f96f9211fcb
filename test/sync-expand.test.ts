/**
 * Owners and app role assignments ride on listings with `$expand`, which Graph cuts at 20 items
 * without a nextLink; memberships come from id-filtered groups delta rounds. Objects holding 19, 20
 * and 21 of each must sync exactly however the emulator cuts expansions, pages lists with `$expand`
 * or splits members across delta pages, on a full load and on the incremental run after changes.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { comparison, type Harness, startHarness, WRITE_WITHOUT_AUDIT } from "./sync-support.ts";

type Emu = Harness["emu"];

async function assertExact(h: Harness, label: string): Promise<void> {
  const compared = await comparison(h.store, (await h.emu.snapshot()) as Record<string, unknown>);
  for (const [kind, { actual, expected }] of Object.entries(compared)) {
    assert.deepEqual(actual, expected, `${label}: ${kind} differ from the emulator's snapshot`);
  }
}

const SIZES = [19, 20, 21];

function enabledUsers(emu: Emu): string[] {
  return emu.tenant
    .list("user")
    .filter((u) => u["accountEnabled"] === true)
    .map((u) => u.id);
}

function assign(emu: Emu, appId: string, principalId: string, n: number): void {
  emu.tenant.insert("appRoleAssignment", {
    id: `test-${appId}-${n}`,
    appRoleId: "00000000-0000-0000-0000-000000000000",
    principalId,
    principalType: "User",
    resourceId: appId,
  });
}

/** Gives three groups and three apps exactly 19, 20 and 21 owners, members and assignments. */
function shape(emu: Emu): { groups: string[]; apps: string[] } {
  const t = emu.tenant;
  const users = enabledUsers(emu);
  assert.ok(users.length > 22, "enough users to hold 21 of each");
  const groups = t
    .list("group")
    .filter((g) => g["onPremisesSyncEnabled"] !== true && typeof g["membershipRule"] !== "string")
    .slice(0, 3)
    .map((g) => g.id);
  const apps = t
    .list("servicePrincipal")
    .slice(0, 3)
    .map((s) => s.id);
  SIZES.forEach((n, i) => {
    const group = groups[i] as string;
    const app = apps[i] as string;
    for (const id of [...t.membersOf(group)]) t.removeMember(group, id);
    for (const id of [...t.ownersOf(group)]) t.removeOwner("group", group, id);
    for (const id of [...t.ownersOf(app)]) t.removeOwner("servicePrincipal", app, id);
    for (const a of t.assignmentsOfResource(app)) t.hardDelete("appRoleAssignment", a.id);
    for (let k = 0; k < n; k++) {
      const user = users[k] as string;
      t.addMember(group, user);
      t.addOwner("group", group, user);
      t.addOwner("servicePrincipal", app, user);
      assign(emu, app, user, k);
    }
  });
  return { groups, apps };
}

/** 19 → 20, 20 → 21, 21 → 20 (one of the first twenty removed): each crosses or meets the cut. */
function change(emu: Emu, shaped: { groups: string[]; apps: string[] }): void {
  const t = emu.tenant;
  const users = enabledUsers(emu);
  SIZES.forEach((n, i) => {
    const group = shaped.groups[i] as string;
    const app = shaped.apps[i] as string;
    if (n < 21) {
      const user = users[n] as string;
      t.addMember(group, user);
      t.addOwner("group", group, user);
      t.addOwner("servicePrincipal", app, user);
      assign(emu, app, user, n);
    } else {
      const user = users[3] as string;
      t.removeMember(group, user);
      t.removeOwner("group", group, user);
      t.removeOwner("servicePrincipal", app, user);
      t.hardDelete("appRoleAssignment", `test-${app}-3`);
    }
  });
}

const SETTINGS: [string, Record<string, number>][] = [
  ["Graph's cut at 20", {}],
  ["no cut (expandLimit 1000)", { expandLimit: 1000 }],
  ["pages of 2 with $expand", { expandPageCap: 2 }],
  ["7 members per delta page", { deltaMembersPerPage: 7 }],
];

for (const [label, knobs] of SETTINGS) {
  test(`19, 20 and 21 owners, members and assignments sync exactly: ${label}`, async () => {
    const h = await startHarness({ size: "s", seed: 21 });
    try {
      h.emu.setFaults(knobs);
      const shaped = shape(h.emu);
      const full = await h.sync();
      assert.equal(full.run.status, "succeeded", JSON.stringify(full.streams));
      await assertExact(h, "after the full sync");
      change(h.emu, shaped);
      const inc = await h.sync();
      assert.equal(inc.run.kind, "incremental");
      assert.equal(inc.run.status, "succeeded", JSON.stringify(inc.streams));
      await assertExact(h, "after the incremental sync");
    } finally {
      await h.close();
    }
  });
}

const MANY_CUT = 24;

/**
 * 24 more apps with 21 assignments each (19 users in turn, the smallest group and another app as
 * principals: a user's own assignments show its groups' too, so a large group would cut many),
 * so more apps are cut than a `$batch` reads apart and their assignments come from the principals'
 * side; the first user is assigned to every app, so its own expansion is cut too.
 */
function manyCutApps(emu: Emu): string[] {
  const t = emu.tenant;
  const users = enabledUsers(emu);
  const group = t
    .list("group")
    .filter((g) => typeof g["membershipRule"] !== "string")
    .reduce((a, b) => (t.membersOf(b.id).size < t.membersOf(a.id).size ? b : a)).id;
  const apps = Array.from({ length: MANY_CUT }, (_, i) => {
    const id = `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`;
    t.insert("servicePrincipal", {
      id,
      appId: `00000000-0000-4000-9000-${String(i).padStart(12, "0")}`,
      displayName: `Cut app ${i}`,
      accountEnabled: true,
      servicePrincipalType: "Application",
      appRoles: [],
      servicePrincipalNames: [],
      tags: [],
    });
    return id;
  });
  const grant = (app: string, principalId: string, principalType: string, key: string) =>
    t.insert("appRoleAssignment", {
      id: `test-${key}`,
      appRoleId: "00000000-0000-0000-0000-000000000000",
      principalId,
      principalType,
      resourceId: app,
    });
  apps.forEach((app, i) => {
    const chosen = new Set([users[0] as string]);
    for (let k = 0; chosen.size < 19; k++) chosen.add(users[(i * 19 + k) % users.length] as string);
    for (const user of chosen) grant(app, user, "User", `${app}-${user}`);
    grant(app, group, "Group", `${app}-group`);
    grant(app, apps[(i + 1) % MANY_CUT] as string, "ServicePrincipal", `${app}-app`);
  });
  return apps;
}

/** Each kind of principal gains and loses an assignment to a cut app. */
function changeAssignments(emu: Emu, apps: string[]): void {
  const t = emu.tenant;
  const users = enabledUsers(emu);
  const [a, b, c] = apps as [string, string, string];
  t.hardDelete("appRoleAssignment", `test-${a}-group`);
  t.hardDelete("appRoleAssignment", `test-${b}-app`);
  t.hardDelete("appRoleAssignment", `test-${c}-${users[0]}`);
  const spare = users.find((u) => !t.assignmentsOfResource(a).some((x) => x["principalId"] === u)) as string;
  t.insert("appRoleAssignment", {
    id: "test-added-user",
    appRoleId: "00000000-0000-0000-0000-000000000000",
    principalId: spare,
    principalType: "User",
    resourceId: a,
  });
  t.insert("appRoleAssignment", {
    id: "test-added-app",
    appRoleId: "00000000-0000-0000-0000-000000000000",
    principalId: c,
    principalType: "ServicePrincipal",
    resourceId: b,
  });
}

const PRINCIPAL_SETTINGS: [string, Record<string, number>, "principals" | "apps", "s" | "m", number?][] = [
  ["Graph's cut at 20", {}, "principals", "s"],
  ["no cut (expandLimit 1000)", { expandLimit: 1000 }, "apps", "s"],
  // Listing principals two at a time costs more than reading each app apart: it gives up.
  ["pages of 2 with $expand", { expandPageCap: 2 }, "apps", "s"],
  ["users listed in partitions", {}, "principals", "m", 1000],
];

for (const [label, knobs, side, size, partitionUsersFrom] of PRINCIPAL_SETTINGS) {
  test(`assignments of more cut apps than a $batch reads sync exactly (${side}' side): ${label}`, async () => {
    const h = await startHarness({ size, seed: 22 });
    try {
      h.emu.setFaults(knobs);
      // Without the audit log, the incremental run re-reads every app's assignments as a full load does.
      h.emu.setPermissions(WRITE_WITHOUT_AUDIT);
      const apps = manyCutApps(h.emu);
      // One `$batch` in flight: more cut apps than it carries make the principals' side worth it.
      const options = { concurrency: 1, ...(partitionUsersFrom === undefined ? {} : { partitionUsersFrom }) };
      const full = await h.sync(options);
      assert.equal(full.run.status, "succeeded", JSON.stringify(full.streams));
      await assertExact(h, "after the full sync");
      changeAssignments(h.emu, apps);
      const inc = await h.sync(options);
      assert.equal(inc.run.kind, "incremental");
      assert.equal(inc.run.status, "succeeded", JSON.stringify(inc.streams));
      await assertExact(h, "after the incremental sync");
      if (side === "principals") {
        const t = h.emu.tenant;
        const cut = t
          .list("servicePrincipal")
          .filter((sp) => t.assignmentsOfResource(sp.id).length >= 20).length;
        const cost = inc.streams["apps"]?.cost;
        const spent = (cost?.requests ?? 0) + (cost?.batchedRequests ?? 0);
        // Reading each cut app apart: its delta page, the refused audit read, the apps listing, the
        // reads and their envelopes.
        const perApp = 1 + 1 + 1 + cut + Math.ceil(cut / 20);
        assert.ok(
          spent < perApp,
          `${spent} requests for the apps' incremental run, ${perApp} reading each app`,
        );
      }
    } finally {
      await h.close();
    }
  });
}
