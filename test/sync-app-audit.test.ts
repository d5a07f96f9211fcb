/**
 * App role assignments and app owners learned from the directory audit log: an incremental run reads
 * the log since its watermark (less an overlap for late entries) and re-reads only the apps it names.
 * Exact against the emulator after every run, whatever the log's lag and whether it logs what a
 * deleted or restored principal loses or regains; the full re-list takes over when the log cannot say.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  createConnection,
  loadConfig,
  parseKinds,
  runSync,
  type SyncOptions,
  type SyncSummary,
} from "../src/index.ts";
import type { Store } from "../src/store/types.ts";
import { ASSIGNMENTS_STREAM } from "../src/sync/streams/app-audit.ts";
import { assertExact, duplicateCreations, exportOf, type Harness, startHarness } from "./sync-support.ts";

type Tenant = Harness["emu"]["tenant"];
type Obj = Record<string, unknown> & { id: string };

async function syncOnce(h: Harness, options: Partial<SyncOptions> = {}, store: Store = h.store) {
  const connection = createConnection(loadConfig({ env: h.env }), { env: h.env, persistTokens: false });
  try {
    return await runSync({
      client: connection.graph,
      store,
      tenantId: h.emu.tenantId,
      options: { kinds: parseKinds(undefined), full: false, skipAdGroups: false, ...options },
    });
  } finally {
    await connection.close();
  }
}

async function position(h: Harness): Promise<{ readAt: number; auditedTo: number }> {
  const stored = await h.store.sync.checkpoint(ASSIGNMENTS_STREAM);
  assert.ok(stored, "the assignments pass has a checkpoint");
  return {
    readAt: Date.parse(String(stored.data["readAt"])),
    auditedTo: Date.parse(String(stored.data["auditedTo"])),
  };
}

function seeded(seed: number): { int(n: number): number; pick<T>(items: readonly T[]): T } {
  let state = seed >>> 0 || 1;
  const next = () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
  return {
    int: (n) => Math.floor(next() * n),
    pick: (items) => items[Math.floor(next() * items.length)] as (typeof items)[number],
  };
}

let ids = 0;
/**
 * `count` random changes to app role assignments (to users, groups and service principals) and app
 * owners, and users holding assignments deleted or restored, made in the emulated tenant directly.
 */
function appChanges(tenant: Tenant, seed: number, count: number): string[] {
  const random = seeded(seed);
  const apps = () =>
    tenant.list("servicePrincipal").filter((s) => s["servicePrincipalType"] === "Application") as Obj[];
  const done: string[] = [];
  for (let attempt = 0; done.length < count && attempt < count * 20; attempt++) {
    const app = random.pick(apps());
    const op = random.int(7);
    if (op <= 2) {
      const [kind, type] = (
        [
          ["user", "User"],
          ["group", "Group"],
          ["servicePrincipal", "ServicePrincipal"],
        ] as const
      )[op] as
        | readonly ["user", "User"]
        | readonly ["group", "Group"]
        | readonly ["servicePrincipal", "ServicePrincipal"];
      const principal = random.pick(tenant.list(kind)) as Obj | undefined;
      if (!principal || principal["onPremisesSyncEnabled"] === true) continue;
      if (tenant.assignmentsOfResource(app.id).some((a) => a["principalId"] === principal.id)) continue;
      const roles = (app["appRoles"] as { id: string }[] | undefined) ?? [];
      tenant.insert("appRoleAssignment", {
        id: `audit-test-${++ids}`,
        appRoleId: roles.length > 0 ? random.pick(roles).id : "00000000-0000-0000-0000-000000000000",
        createdDateTime: new Date().toISOString(),
        principalDisplayName: principal["displayName"],
        principalId: principal.id,
        principalType: type,
        resourceDisplayName: app["displayName"],
        resourceId: app.id,
      });
      done.push(`assign ${type}`);
    } else if (op === 3) {
      const held = tenant.assignmentsOfResource(app.id);
      if (held.length === 0) continue;
      tenant.hardDelete("appRoleAssignment", random.pick(held).id);
      done.push("unassign");
    } else if (op === 4) {
      const user = random.pick(tenant.list("user")) as Obj;
      if (!tenant.addOwner("servicePrincipal", app.id, user.id)) continue;
      done.push("add owner");
    } else if (op === 5) {
      const owners = [...tenant.ownersOf(app.id)];
      if (owners.length === 0) continue;
      tenant.removeOwner("servicePrincipal", app.id, random.pick(owners));
      done.push("remove owner");
    } else {
      const deleted = tenant.deletedItems("user").filter((r) => String(r.object.id).length > 0);
      const restorable = deleted.filter(
        (r) => !tenant.findUserByUpn(String(r.object["userPrincipalName"])) && r.held.length > 0,
      );
      if (restorable.length > 0 && random.int(2) === 0) {
        tenant.restore(random.pick(restorable).object.id);
        done.push("restore user");
        continue;
      }
      const holders = tenant
        .list("user")
        .filter((u) => u["onPremisesSyncEnabled"] !== true && tenant.assignmentsOfPrincipal(u.id).length > 0);
      if (holders.length === 0) continue;
      tenant.softDelete("user", random.pick(holders).id, Date.now());
      done.push("delete user");
    }
  }
  return done;
}

for (const implied of [false, true]) {
  test(`random assignment and owner changes, principals deleted and restored, are exact after each incremental (lag 0, implied changes ${implied ? "logged" : "not logged"})`, async () => {
    const h = await startHarness({ size: "s", seed: 41 });
    try {
      await h.emu.setFaults({ auditImpliedChanges: implied });
      await h.sync();
      const loaded = await position(h);
      const made = new Set<string>();
      for (let round = 1; round <= 4; round++) {
        for (const change of appChanges(h.emu.tenant, round * 7 + (implied ? 1 : 0), 12)) made.add(change);
        await h.emu.mutate({ count: 10, seed: round });
        const run = await syncOnce(h);
        assert.equal(run.run.status, "succeeded", JSON.stringify(run.warnings));
        await assertExact(h, `round ${round}`);
      }
      for (const kind of [
        "assign User",
        "assign Group",
        "unassign",
        "add owner",
        "remove owner",
        "delete user",
      ])
        assert.ok(made.has(kind), `the rounds made a "${kind}" (${[...made].join(", ")})`);
      const now = await position(h);
      assert.equal(now.readAt, loaded.readAt, "no full re-list: the audit log said what changed");
      assert.ok(now.auditedTo > loaded.auditedTo, "the watermark moved");
    } finally {
      await h.close();
    }
  });
}

test("entries that arrive later than a poll (ingestion lag) are applied by the run that sees them, exact", async () => {
  const h = await startHarness({ size: "s", seed: 42 });
  try {
    await h.sync();
    // Entries show up an hour after their change: two polls pass without them.
    await h.emu.setFaults({ auditLagMs: 3_600_000 });
    const tenant = h.emu.tenant;
    const app = tenant
      .list("servicePrincipal")
      .find((s) => s["servicePrincipalType"] === "Application") as Obj;
    const user = tenant
      .list("user")
      .find((u) => !tenant.assignmentsOfResource(app.id).some((a) => a["principalId"] === u.id)) as Obj;
    tenant.insert("appRoleAssignment", {
      id: `audit-lag-${++ids}`,
      appRoleId: "00000000-0000-0000-0000-000000000000",
      principalId: user.id,
      principalType: "User",
      resourceId: app.id,
    });
    appChanges(tenant, 5, 15);
    await h.emu.mutate({ count: 10, seed: 5 });
    const assigned = async () =>
      (await exportOf(h.store, "app-assignments")).some(
        (a) => a["appId"] === app.id && a["principalId"] === user.id,
      );
    for (const poll of [1, 2]) {
      assert.equal((await syncOnce(h)).run.status, "succeeded");
      assert.equal(await assigned(), false, `poll ${poll}: the entry has not arrived`);
    }
    // The hour passes (the knob stands in for the clock): the entries arrive, within the overlap.
    await h.emu.setFaults({ auditLagMs: 0 });
    await syncOnce(h);
    assert.equal(await assigned(), true);
    await assertExact(h, "once the late entries arrived");
  } finally {
    await h.close();
  }
});

test("an incremental run's requests for assignments follow the changes, not the tenant", async () => {
  const appsCost = async (size: "s" | "m", k: number) => {
    const h = await startHarness({ size, seed: 43 });
    try {
      await h.sync();
      await syncOnce(h);
      const tenant = h.emu.tenant;
      const apps = tenant.list("servicePrincipal").slice(0, k) as Obj[];
      assert.equal(apps.length, k);
      for (const app of apps) {
        const user = tenant
          .list("user")
          .find((u) => !tenant.assignmentsOfResource(app.id).some((a) => a["principalId"] === u.id)) as Obj;
        tenant.insert("appRoleAssignment", {
          id: `audit-cost-${++ids}`,
          appRoleId: "00000000-0000-0000-0000-000000000000",
          principalId: user.id,
          principalType: "User",
          resourceId: app.id,
        });
      }
      const run = await syncOnce(h);
      await assertExact(h, `${size}, ${k} changes`);
      const cost = run.streams["apps"]?.cost;
      assert.ok(cost);
      return { http: cost.requests, batched: cost.batchedRequests, apps: tenant.count("servicePrincipal") };
    } finally {
      await h.close();
    }
  };
  const small = await appsCost("s", 3);
  const more = await appsCost("s", 8);
  const larger = await appsCost("m", 8);
  assert.ok(
    larger.apps > small.apps * 2,
    `the larger tenant has more apps (${larger.apps} vs ${small.apps})`,
  );
  // One delta request, one audit read, and each changed app's assignments read apart in one $batch.
  assert.deepEqual({ http: small.http, batched: small.batched }, { http: 3, batched: 3 });
  assert.deepEqual({ http: more.http, batched: more.batched }, { http: 3, batched: 8 });
  assert.deepEqual({ http: larger.http, batched: larger.batched }, { http: 3, batched: 8 });
});

test("without AuditLog.Read.All the run re-lists every app's assignments, warns once, and stays exact", async () => {
  const h = await startHarness({ size: "s", seed: 44 });
  try {
    await h.sync();
    const loaded = await position(h);
    await h.emu.setPermissions([
      "Directory.Read.All",
      "RoleManagement.Read.Directory",
      "RoleEligibilitySchedule.Read.Directory",
    ]);
    appChanges(h.emu.tenant, 9, 15);
    await h.emu.mutate({ count: 10, seed: 9 });
    const run = await syncOnce(h);
    assert.equal(run.run.status, "succeeded");
    const warned = run.warnings.filter((w) => w.message.includes("AuditLog.Read.All"));
    assert.equal(warned.length, 1, JSON.stringify(run.warnings));
    await assertExact(h, "after the re-list");
    assert.ok((await position(h)).readAt > loaded.readAt, "a full re-list ran");
  } finally {
    await h.close();
  }
});

test("a failing audit log, or a watermark older than the log keeps, leads to the full re-list; exact", async () => {
  const h = await startHarness({ size: "s", seed: 45 });
  try {
    await h.sync();
    await h.emu.setFaults({ auditFailStatus: 500 });
    appChanges(h.emu.tenant, 11, 10);
    const failed = await syncOnce(h);
    assert.equal(failed.run.status, "succeeded");
    assert.ok(failed.warnings.some((w) => w.message.includes("audit log could not be read")));
    await assertExact(h, "after the audit log failed");
    await h.emu.setFaults({ auditFailStatus: 0 });

    // A watermark eight days old: the log (7 days) may have lost entries since.
    const old = Date.now() - 8 * 86_400_000;
    await h.store.sync.applyPage({
      runId: failed.run.id,
      stream: ASSIGNMENTS_STREAM,
      checkpoint: {
        version: 1,
        data: {
          readAt: new Date(Date.now() - 60_000).toISOString(),
          auditedTo: new Date(old).toISOString(),
          seen: [],
        },
      },
    });
    const lost = h.emu.tenant.list("servicePrincipal")[0] as Obj;
    const held = h.emu.tenant.assignmentsOfResource(lost.id);
    if (held[0]) h.emu.tenant.hardDelete("appRoleAssignment", held[0].id);
    await h.emu.setFaults({ auditRetentionMs: 1 });
    const start = Date.now();
    await syncOnce(h);
    assert.ok((await position(h)).readAt >= start, "the stale watermark led to a full re-list");
    await assertExact(h, "after the watermark beyond retention");
  } finally {
    await h.close();
  }
});

test("a crash between the edges and the watermark's commit repeats the work on the rerun: exact, nothing twice", async () => {
  const h = await startHarness({ size: "s", seed: 46 });
  try {
    await h.sync();
    const loaded = await position(h);
    appChanges(h.emu.tenant, 13, 15);
    await h.emu.mutate({ count: 10, seed: 13 });
    // The store dies as the watermark is written: every edge before it is committed.
    const crashing = new Proxy(h.store, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver);
        if (property !== "sync") return value;
        return new Proxy(value as Store["sync"], {
          get(sync, name) {
            const method = Reflect.get(sync, name);
            if (name !== "applyPage") return typeof method === "function" ? method.bind(sync) : method;
            return async (page: Parameters<Store["sync"]["applyPage"]>[0]) => {
              if (page.stream === ASSIGNMENTS_STREAM) throw new Error("crash before the watermark");
              return (method as Store["sync"]["applyPage"]).call(sync, page);
            };
          },
        });
      },
    });
    const crashed: SyncSummary = await syncOnce(h, {}, crashing);
    assert.notEqual(crashed.run.status, "succeeded");
    assert.equal((await position(h)).auditedTo, loaded.auditedTo, "the watermark did not move");
    const rerun = await syncOnce(h);
    assert.equal(rerun.run.status, "succeeded");
    await assertExact(h, "after the rerun");
    assert.deepEqual(await duplicateCreations(h.store), [], "nothing is emitted twice");
  } finally {
    await h.close();
  }
});
