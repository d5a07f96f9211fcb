/**
 * Sync against the emulator over a real socket: the store's exports must equal the emulator's
 * snapshot exactly after a full sync and after every incremental one, whatever the seed.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { COMPARED, comparison, type Harness, startHarness } from "./sync-support.ts";

async function assertExact(
  h: Harness,
  label: string,
  options: { skipAdGroups?: boolean } = {},
): Promise<void> {
  const snapshot = (await h.emu.snapshot()) as Record<string, unknown>;
  const compared = await comparison(h.store, snapshot, options);
  for (const [kind, { actual, expected }] of Object.entries(compared)) {
    assert.deepEqual(actual, expected, `${label}: ${kind} differ from the emulator's snapshot`);
  }
}

/**
 * The emulator's random changes leave managers alone (deleting a manager aside): each round also gives
 * one user a new manager and takes another's away, as `PUT`/`DELETE /users/{id}/manager/$ref` would.
 */
function moveManagers(h: Harness, seed: number): void {
  const users = h.emu.tenant.list("user").filter((u) => u["onPremisesSyncEnabled"] !== true);
  if (users.length < 3) return;
  const at = (n: number) => users[n % users.length] as (typeof users)[number];
  const [report, manager] = [at(seed * 7), at(seed * 7 + 1)];
  h.emu.tenant.setManager(report.id, manager.id);
  const managed = users.filter((u) => u.id !== report.id && h.emu.tenant.managerOf(u.id) !== undefined);
  if (managed.length > 0)
    h.emu.tenant.setManager((managed[seed % managed.length] as (typeof users)[number]).id, undefined);
}

/** Rows each compared kind had across the seeds' first syncs: a kind never compared proves nothing. */
const covered = new Map<string, number>();

for (const seed of [1, 2, 3, 4, 5, 6]) {
  test(`seed ${seed}: a full sync, then incremental syncs over random changes, match the emulator exactly`, async () => {
    const h = await startHarness({ size: "s", seed });
    try {
      const full = await h.sync();
      assert.equal(full.run.kind, "full");
      assert.equal(full.run.status, "succeeded", JSON.stringify(full.streams));
      await assertExact(h, "after the full sync");
      const snapshot = (await h.emu.snapshot()) as Record<string, Record<string, unknown>[]>;
      const compared = await comparison(h.store, snapshot);
      for (const [kind, { expected }] of Object.entries(compared))
        covered.set(kind, (covered.get(kind) ?? 0) + expected.length);
      const managed = compared["users"]?.actual.filter((u) => typeof u["managerId"] === "string").length ?? 0;
      covered.set("managers", (covered.get("managers") ?? 0) + managed);
      // What was in deleted items before the first sync is kept, but as no change: nobody saw it live.
      const deletedIds = new Set(snapshot["deletedItems"]?.map((o) => String(o["id"])));
      const events = await h.store.outbox.read({ limit: 1_000_000 });
      assert.deepEqual(
        events.filter((e) => deletedIds.has(e.resourceId)).map((e) => `${e.type} ${e.kind} ${e.resourceId}`),
        [],
        "deleted items produce no change events on the first sync",
      );
      for (let round = 1; round <= 4; round++) {
        await h.emu.mutate({ count: 12, seed: seed * 100 + round });
        moveManagers(h, seed * 100 + round);
        const inc = await h.sync();
        assert.equal(inc.run.kind, "incremental");
        assert.equal(inc.run.status, "succeeded", JSON.stringify(inc.streams));
        assert.ok(inc.totals.changes > 0, "the mutations show up as change events");
        await assertExact(h, `after incremental sync ${round}`);
      }
    } finally {
      await h.close();
    }
  });
}

test("the seeds between them compare every kind, managers and deleted items included", () => {
  for (const kind of [...COMPARED, "app-owners", "deleted-users", "deleted-groups", "managers"]) {
    assert.ok((covered.get(kind) ?? 0) > 0, `no seed had ${kind} to compare`);
  }
});

test("deleted items: an object updated then deleted between two syncs, or created and deleted between them, is kept as deleted items hold it", async () => {
  const h = await startHarness({ size: "s", seed: 12 });
  try {
    await h.sync();
    const tenant = h.emu.tenant;
    const known = tenant
      .list("user")
      .find((u) => u["onPremisesSyncEnabled"] !== true && tenant.managerOf(u.id));
    assert.ok(known, "a cloud user with a manager");
    tenant.update("user", known.id, { jobTitle: "Changed just before deletion" });
    tenant.softDelete("user", known.id, Date.now());
    const [, domain] = tenant.info.domains as [string, string];
    const fleeting = tenant.insert("user", {
      id: "0f1e2d3c-4b5a-4968-8776-655443322110",
      displayName: "Fleeting User",
      userPrincipalName: `fleeting@${domain}`,
      mailNickname: "fleeting",
      accountEnabled: true,
      userType: "Member",
    });
    tenant.softDelete("user", fleeting.id, Date.now());
    const inc = await h.sync();
    assert.equal(inc.run.status, "succeeded", JSON.stringify(inc.streams));
    await assertExact(h, "after the deletions");
    const events = await h.store.outbox.read({
      afterSeq: inc.run.firstSeq === undefined ? 0 : inc.run.firstSeq - 1,
      limit: 10_000,
    });
    const about = (id: string) => events.filter((e) => e.kind === "user" && e.resourceId === id);
    assert.deepEqual(
      about(known.id).map((e) => [e.type, e.data["jobTitle"], e.data["@removed"]]),
      [["deleted", "Changed just before deletion", { reason: "changed" }]],
      "the deletion reports the object as it was deleted",
    );
    assert.deepEqual(about(fleeting.id), [], "an object nobody saw live is kept without an event");
  } finally {
    await h.close();
  }
});

test("an incremental run costs what changed, not the tenant: app assignments are learned from the audit log", async () => {
  const h = await startHarness({ size: "m", seed: 4 });
  try {
    const cost = async (run: () => Promise<unknown>) => {
      const before = (await h.emu.stats()) as { requests: number; ru: number };
      await run();
      const after = (await h.emu.stats()) as { requests: number; ru: number };
      return { requests: after.requests - before.requests, ru: after.ru - before.ru };
    };
    const full = await cost(() => h.sync());
    let quietRun: Awaited<ReturnType<Harness["sync"]>> | undefined;
    const quiet = await cost(async () => {
      quietRun = await h.sync();
    });
    assert.equal(quietRun?.run.kind, "incremental");
    assert.equal(quietRun?.totals.changes, 0, "nothing changed, nothing recorded");
    // The emulator counts each $batch envelope and each request it carries. Graph has no delta for app
    // role assignments: the directory audit log says which apps' assignments changed (one request);
    // nor for roles: one $batch of three reads. Users, groups and subscribed SKUs: one request each;
    // apps: one delta request.
    assert.equal(quiet.requests, 3 + (1 + 3) + (1 + 1), "requests for no change");
    assert.ok(quiet.ru < full.ru, `${quiet.ru} RU for no change vs ${full.ru} RU for the full load`);
    const changes = 20;
    await h.emu.mutate({ count: changes, seed: 9 });
    const busy = await cost(() => h.sync());
    // Changed objects are re-read a few to a request (managers and owners fifteen to a filtered list),
    // the apps the audit log names one read each, in a `$batch` envelope.
    assert.ok(
      busy.requests - quiet.requests <= changes + 2,
      `incremental cost follows the changes: ${busy.requests - quiet.requests} requests more for ${changes} changes than for none`,
    );
    await assertExact(h, "after the incremental sync");
  } finally {
    await h.close();
  }
});

test("a run stopped mid-way resumes from its last committed page and ends identical", async () => {
  const h = await startHarness({ size: "m", seed: 6 });
  try {
    let cancelled = 0;
    for (const stopAfter of [2, 4, 7]) {
      const controller = new AbortController();
      let pages = 0;
      const stopped = await h.sync({
        signal: controller.signal,
        observer: { page: () => ++pages === stopAfter && controller.abort() },
      });
      if (stopped.run.status === "cancelled") cancelled++;
      else assert.equal(stopped.run.status, "succeeded", JSON.stringify(stopped.streams));
    }
    assert.ok(cancelled >= 2, `only ${cancelled} runs were stopped mid-way`);
    const resumed = await h.sync();
    assert.equal(resumed.run.status, "succeeded", JSON.stringify(resumed.streams));
    await assertExact(h, "after resuming");
    const created = new Map<string, number>();
    for (const e of await h.store.outbox.read({ limit: 1_000_000 })) {
      if (e.type !== "created" && e.type !== "added") continue;
      const key = `${e.type}:${e.kind}:${e.resourceId}:${String(e.data["relation"])}:${String(e.data["principalId"])}:${String(e.data["qualifier"])}`;
      created.set(key, (created.get(key) ?? 0) + 1);
    }
    const twice = [...created].filter(([, n]) => n > 1);
    assert.deepEqual(twice, [], "nothing is emitted twice across the interruptions");
  } finally {
    await h.close();
  }
});

test("an expired delta link leads to a full resync that reconciles deletions", async () => {
  const h = await startHarness({ size: "s", seed: 7 });
  try {
    await h.sync();
    await h.emu.mutate({ count: 15, seed: 71 });
    await h.emu.setFaults({ deltaTokenTtlMs: 1 });
    await new Promise((r) => setTimeout(r, 20));
    const resync = await h.sync();
    assert.ok(
      resync.warnings.some((w) => w.message.includes("expired")),
      `expected an expiry warning, got ${JSON.stringify(resync.warnings)}`,
    );
    assert.equal(resync.run.status, "succeeded", JSON.stringify(resync.streams));
    await assertExact(h, "after the resync");
  } finally {
    await h.close();
  }
});

test("ENTRA_SKIP_AD_GROUPS leaves groups synced from on-premises out, with their members", async () => {
  const h = await startHarness({ size: "m", seed: 8 });
  try {
    const snapshot = (await h.emu.snapshot()) as { groups: Record<string, unknown>[] };
    assert.ok(
      snapshot.groups.some((g) => g["onPremisesSyncEnabled"] === true),
      "the tenant has on-premises groups",
    );
    await h.sync({ skipAdGroups: true });
    await assertExact(h, "skipping AD groups", { skipAdGroups: true });
    await h.emu.mutate({ count: 20, seed: 81 });
    await h.sync({ skipAdGroups: true });
    await assertExact(h, "skipping AD groups, incremental", { skipAdGroups: true });
  } finally {
    await h.close();
  }
});

test("--kinds limits what is synced", async () => {
  const h = await startHarness({ size: "s", seed: 9 });
  try {
    const run = await h.sync({ kinds: "users" });
    assert.deepEqual(Object.keys(run.streams), ["users"]);
    const groups = [];
    for await (const g of h.store.query.export("groups")) groups.push(g);
    assert.equal(groups.length, 0);
  } finally {
    await h.close();
  }
});

test("without Entra ID P2, PIM eligibility is reported once as a warning and skipped; the rest syncs", async () => {
  const h = await startHarness({ size: "s", seed: 10, p2: false });
  try {
    const run = await h.sync();
    assert.equal(run.run.status, "succeeded", JSON.stringify(run.streams));
    const pim = run.warnings.filter((w) => w.stream === "roles");
    assert.equal(pim.length, 1, JSON.stringify(run.warnings));
    assert.match(pim[0]!.message, /P2/);
    const assignments = [];
    for await (const row of h.store.query.export("role-assignments")) assignments.push(row);
    assert.ok(assignments.length > 0, "active role assignments are synced");
    assert.ok(assignments.every((r) => r["kind"] === "active"));
  } finally {
    await h.close();
  }
});
