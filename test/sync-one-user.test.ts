/**
 * Syncing one user against the emulator: after its groups, licences and a property change in the
 * tenant, `syncUser` makes the store equal the emulator for that user, in one run with exactly the
 * change events of what differed; a second pass changes nothing; an unknown user is a typed error.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createConnection, isConnectorError, loadConfig, syncUser } from "../src/index.ts";
import { runCliCollect } from "./support/child-process.ts";
import { comparison, type Harness, startHarness } from "./sync-support.ts";

type Obj = Record<string, unknown>;

describe("sync one user", () => {
  let h: Harness;
  let connection: ReturnType<typeof createConnection>;

  before(async () => {
    h = await startHarness({ size: "s", seed: 11 });
    await h.sync({ full: true });
    connection = createConnection(loadConfig({ env: h.env }), { env: h.env, persistTokens: false });
  });
  after(async () => {
    await connection.close();
    await h.close();
  });

  /** Every compared row that names the user, store and emulator side by side. */
  async function rowsOf(userId: string): Promise<{ actual: Obj[]; expected: Obj[] }> {
    const all = await comparison(h.store, (await h.emu.snapshot()) as Obj);
    const names = (row: Obj) => Object.values(row).includes(userId);
    const pick = (side: "actual" | "expected") =>
      Object.entries(all).flatMap(([kind, rows]) => rows[side].filter(names).map((r) => ({ kind, ...r })));
    return { actual: pick("actual"), expected: pick("expected") };
  }

  test("the store equals the emulator for the user after its groups, licences and a property changed", async () => {
    const { tenant } = h.emu;
    const groups = tenant.list("group");
    const user = tenant
      .list("user")
      .find((u) => tenant.groupsOf(String(u["id"])).size > 0 && u["assignedLicenses"])!;
    const id = String(user["id"]);
    const leave = [...tenant.groupsOf(id)][0]!;
    const join = String(groups.find((g) => !tenant.groupsOf(id).has(String(g["id"])))!["id"]);
    tenant.removeMember(leave, id);
    tenant.addMember(join, id);
    const dropped = (user["assignedLicenses"] as { skuId: string }[])[0]!.skuId;
    tenant.assignLicenses(id, [], [dropped]);
    tenant.update("user", id, { jobTitle: "Synced alone" });
    const before = await rowsOf(id);
    assert.notDeepEqual(before.actual, before.expected, "the tenant changed: the store must differ first");

    const result = await syncUser({
      client: connection.graph,
      store: h.store,
      tenantId: h.emu.tenantId,
      ref: String(user["userPrincipalName"]),
    });
    assert.equal(result.userId, id);
    assert.equal(result.run.status, "succeeded");
    const after = await rowsOf(id);
    assert.deepEqual(after.actual, after.expected);
    const changes = result.changes.map(
      (c) => `${c.type} ${c.kind} ${String(c.data["relation"] ?? "")} ${c.resourceId}`,
    );
    assert.deepEqual(
      changes.sort(),
      [
        `added group group:member ${join}`,
        `removed group group:member ${leave}`,
        `removed license license:assigned ${dropped}`,
        `updated user  ${id}`,
      ].sort(),
      JSON.stringify(result.changes, null, 1),
    );

    const again = await syncUser({
      client: connection.graph,
      store: h.store,
      tenantId: h.emu.tenantId,
      ref: id,
    });
    assert.deepEqual(again.changes, []);
  });

  test("an unknown user is OBJECT_NOT_FOUND naming the reference, and the store is left alone", async () => {
    const head = await h.store.outbox.head();
    const err = await syncUser({
      client: connection.graph,
      store: h.store,
      tenantId: h.emu.tenantId,
      ref: "nobody@example.invalid",
    }).catch((e: unknown) => e);
    assert.ok(isConnectorError(err));
    assert.equal(err.code, "OBJECT_NOT_FOUND");
    assert.match(err.message, /nobody@example\.invalid/);
    assert.equal(await h.store.outbox.head(), head);
  });

  test("the CLI's sync --user prints the user's changes; a clash with --full names the flag", async () => {
    const user = h.emu.tenant.list("user")[2]!;
    h.emu.tenant.update("user", String(user["id"]), { department: "Synced from the CLI" });
    const run = await runCliCollect(["sync", "--user", String(user["userPrincipalName"]), "--json"], h.env);
    assert.equal(run.code, 0, run.stderr);
    const out = JSON.parse(run.stdout) as {
      userId: string;
      changes: { type: string; changes: { property: string }[] }[];
    };
    assert.equal(out.userId, user["id"]);
    assert.deepEqual(
      out.changes.map((c) => [c.type, c.changes.map((p) => p.property)]),
      [["updated", ["department"]]],
    );
    const clash = await runCliCollect(["sync", "--user", String(user["id"]), "--full"], h.env);
    assert.equal(clash.code, 2, clash.stderr);
    assert.match(clash.stderr, /--user: --full does not apply/);
  });
});
