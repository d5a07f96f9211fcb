/**
 * Mapping runs end to end: the documented example over the emulator's tenant synced into a store,
 * pushed into SCIMMY's service provider (test/support/scim-server.ts).
 */
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, beforeEach, describe, it } from "node:test";
import { isConnectorError } from "../src/errors.ts";
import { notifySchema } from "../src/mapping/definition.ts";
import { type Mapping, type MappingRunInput, openTarget, runMapping } from "../src/mapping/index.ts";
import { verifySignature } from "../src/triggers/signing.ts";
import {
  activeRecords,
  addExampleGroups,
  duplicates,
  type ExampleTenant,
  exampleMapping,
  expectedActive,
  mapped,
  sorted,
  targetRecords,
} from "./mapping-support.ts";
import { type ScimServer, startScimServer } from "./support/scim-server.ts";
import { type Harness, startHarness } from "./sync-support.ts";

let harness: Harness;
let scim: ScimServer;
let groups: ExampleTenant;

const fast = { backoff: { baseMs: 1, maxMs: 5 }, ratePerSecond: 1000, timeoutMs: 300 };

async function run(mapping: Mapping, options: Partial<MappingRunInput> = {}) {
  const target = openTarget(mapping, { scim: fast });
  try {
    return await runMapping({ mapping, store: harness.store, target, ...options });
  } finally {
    await target.close();
  }
}

const writes = () => scim.requests.filter((r) => r.method !== "GET");

before(async () => {
  harness = await startHarness({ size: "s", seed: 11 });
  groups = addExampleGroups(harness);
  await harness.sync({ full: true });
  scim = await startScimServer();
});

after(async () => {
  await scim.close();
  await harness.close();
});

describe("mapping run: the documented example into a SCIM service", () => {
  const mapping = () => exampleMapping(scim);

  it("a first run is full and leaves the target equal to the mapped source", async () => {
    const report = await run(mapping());
    assert.equal(report.kind, "full");
    assert.deepEqual(sorted(activeRecords(scim)), sorted(expectedActive(harness, groups)));
    assert.equal(scim.users.size, expectedActive(harness, groups).size);
    assert.equal(report.counts["create.ok"], scim.users.size);
    assert.equal(report.run?.status, "succeeded");
    assert.ok(report.cursor.to > 0);
  });

  it("an incremental run after no change makes no request", async () => {
    scim.requests.length = 0;
    const report = await run(mapping());
    assert.equal(report.kind, "incremental");
    assert.equal(report.users, 0);
    assert.deepEqual(scim.requests, []);
  });

  it("pushes what changed since, with requests in proportion to the changes", async () => {
    const tenant = harness.emu.tenant;
    const [renamed, leaver, disabled] = [...tenant.transitiveMembersOf(groups.finance)];
    const newcomer = tenant
      .list("user")
      .find(
        (u) =>
          u["userType"] === "Member" &&
          u["accountEnabled"] === true &&
          !expectedActive(harness, groups).has(u.id),
      )!;
    tenant.update("user", renamed!, { displayName: "Renamed Person" });
    tenant.removeMember(groups.finance, leaver!);
    tenant.update("user", disabled!, { accountEnabled: false });
    tenant.addMember(groups.helpdesk, newcomer.id);
    // Noise outside the scope: changes to users the mapping does not cover cost no request.
    for (const u of tenant.list("user").slice(-5)) tenant.update("user", u.id, { jobTitle: "Elsewhere" });
    await harness.sync();
    scim.requests.length = 0;
    const report = await run(mapping());
    assert.equal(report.kind, "incremental");
    assert.deepEqual(sorted(activeRecords(scim)), sorted(expectedActive(harness, groups)));
    const all = targetRecords(scim);
    assert.equal(all.get(leaver!)?.["active"], false, "a user who left scope is disabled");
    assert.equal(all.get(disabled!)?.["active"], false, "a disabled account is disabled");
    assert.deepEqual(all.get(newcomer.id), mapped(tenant.get("user", newcomer.id)!));
    assert.deepEqual(
      {
        create: report.counts["create.ok"],
        update: report.counts["update.ok"],
        disable: report.counts["disable.ok"],
      },
      { create: 1, update: 1, disable: 2 },
    );
    // Two for discovery, one lookup for the newcomer, and one write per change.
    assert.equal(writes().length, 4);
    assert.equal(scim.requests.length, 2 + 1 + 4);
    assert.deepEqual(duplicates(scim), []);
  });

  it("a full run compares every user with the target and writes nothing when all is equal", async () => {
    scim.requests.length = 0;
    const report = await run(mapping(), { full: true });
    assert.equal(report.kind, "full");
    assert.deepEqual(writes(), []);
    // The target is read a page (100) at a time, not looked up user by user.
    const pages = Math.floor(scim.users.size / 100) + 1;
    assert.deepEqual(
      scim.requests.map((r) => r.path.replace(/\?.*/, "")),
      ["/ServiceProviderConfig", "/ResourceTypes", ...Array(pages).fill("/Users")].map((p) => `/scim/v2${p}`),
    );
  });

  it("a full run puts back what was changed in the target behind the mapping's back", async () => {
    const someone = [...scim.users.values()].find((u) => u["active"] === true)!;
    someone["displayName"] = "Edited in the target";
    const report = await run(mapping(), { full: true });
    assert.equal(report.counts["update.ok"], 1);
    assert.deepEqual(sorted(activeRecords(scim)), sorted(expectedActive(harness, groups)));
  });

  it("a dry run returns the plan and writes nothing, neither in the target nor in the store", async () => {
    const tenant = harness.emu.tenant;
    const [someone] = [...tenant.transitiveMembersOf(groups.itSupport)].filter((id) =>
      tenant.get("user", id),
    );
    tenant.update("user", someone!, { displayName: "Dry Run Person" });
    await harness.sync();
    const cursor = await harness.store.mappings.cursor("assets");
    const runs = await harness.store.mappings.runs("assets");
    scim.requests.length = 0;
    const report = await run(mapping(), { dryRun: true });
    assert.deepEqual(writes(), []);
    assert.equal(report.run, undefined);
    const update = report.plan.actions.find((a) => a.userId === someone);
    assert.equal(update?.kind, "update");
    assert.deepEqual(update?.kind === "update" && update.changes.map((c) => [c.path, c.new]), [
      ["displayName", "Dry Run Person"],
    ]);
    assert.equal(await harness.store.mappings.cursor("assets"), cursor);
    assert.equal((await harness.store.mappings.runs("assets")).length, runs.length);
    // The real run then does what the dry run showed.
    await run(mapping());
    assert.deepEqual(sorted(activeRecords(scim)), sorted(expectedActive(harness, groups)));
  });

  it("provisions one user on demand and reports each step", async () => {
    const tenant = harness.emu.tenant;
    const outsider = tenant
      .list("user")
      .find(
        (u) => u["userType"] === "Member" && u["accountEnabled"] === true && !targetRecords(scim).has(u.id),
      )!;
    const inScope = [...expectedActive(harness, groups).keys()][0]!;
    const upn = String(tenant.get("user", inScope)!["userPrincipalName"]);
    scim.users.forEach((u, id) => {
      if (u["externalId"] === inScope) u["displayName"] = "Stale";
      void id;
    });
    const report = await run(mapping(), { user: upn });
    assert.equal(report.kind, "user");
    assert.deepEqual(
      report.steps?.map((s) => s.step),
      ["import", "scope", "match", "action", "result"],
    );
    assert.equal(report.steps?.[1]?.outcome, "active");
    assert.match(report.steps?.[2]?.outcome ?? "", /^found /);
    assert.match(report.steps?.[3]?.outcome ?? "", /^update displayName: "Stale" →/);
    assert.equal(report.steps?.[4]?.outcome, "ok");
    const away = await run(mapping(), { user: outsider.id });
    assert.equal(away.steps?.[1]?.outcome, "outOfScope");
    assert.match(away.steps?.[3]?.outcome ?? "", /^skip \(notProvisioned/);
    await assert.rejects(run(mapping(), { user: "nobody@nowhere.test" }), (err: unknown) =>
      isConnectorError(err, "MAPPING_USER_NOT_FOUND"),
    );
  });
});

describe("mapping run: safety", () => {
  beforeEach(() => scim.reset());

  it("holds disables beyond the deletion threshold until deletes are allowed", async () => {
    const mapping = exampleMapping(scim, (t) =>
      t.replace("name: assets", "name: held").concat("deletionThreshold: 2\n"),
    );
    await run(mapping);
    const tenant = harness.emu.tenant;
    const leavers = [...tenant.transitiveMembersOf(groups.helpdesk)].filter((id) => tenant.get("user", id));
    for (const id of leavers) tenant.removeMember(groups.helpdesk, id);
    await harness.sync();
    const held = await run(mapping);
    assert.equal(held.plan.held.length, leavers.length);
    assert.deepEqual(held.plan.held.map((a) => a.userId).sort(), [...leavers].sort());
    assert.equal(held.counts["disable.held"], leavers.length);
    for (const id of leavers) assert.equal(targetRecords(scim).get(id)?.["active"], true);
    assert.equal((await harness.store.mappings.log("held", { result: "held" })).length, leavers.length);
    // Held records are looked at again by the next run, which may carry them out.
    const allowed = await run(mapping, { allowDeletes: true });
    assert.equal(allowed.counts["disable.ok"], leavers.length);
    for (const id of leavers) assert.equal(targetRecords(scim).get(id)?.["active"], false);
    for (const id of leavers) tenant.addMember(groups.helpdesk, id);
    await harness.sync();
    await run(mapping);
    assert.deepEqual(sorted(activeRecords(scim)), sorted(expectedActive(harness, groups)));
  });

  it("reports blank and duplicate keys and pushes neither", async () => {
    const mapping = exampleMapping(scim, (t) =>
      t
        .replace("name: assets", "name: keys")
        .replace('"ToLower(Coalesce([mail], [userPrincipalName]))"', '"[mail]"'),
    );
    const tenant = harness.emu.tenant;
    const [a, b, c] = [...tenant.transitiveMembersOf(groups.finance)].filter(
      (id) => tenant.get("user", id)?.["accountEnabled"],
    );
    const shared = String(tenant.get("user", a!)!["mail"]);
    const [mailB, mailC] = [tenant.get("user", b!)!["mail"], tenant.get("user", c!)!["mail"]];
    tenant.update("user", b!, { mail: shared });
    tenant.update("user", c!, { mail: null });
    await harness.sync();
    const report = await run(mapping);
    const skip = (id: string) => report.plan.actions.find((x) => x.userId === id);
    assert.equal(skip(a!)?.reason, "duplicateKey");
    assert.equal(skip(b!)?.reason, "duplicateKey");
    assert.equal(skip(c!)?.reason, "blankKey");
    for (const id of [a, b, c]) assert.equal(targetRecords(scim).has(id!), false);
    const logged = await harness.store.mappings.log("keys", { runId: report.run!.id });
    assert.deepEqual(
      logged
        .filter((e) => e.action === "skip")
        .map((e) => e.reason)
        .sort(),
      ["blankKey", "duplicateKey", "duplicateKey"],
    );
    tenant.update("user", b!, { mail: mailB });
    tenant.update("user", c!, { mail: mailC });
    await harness.sync();
  });

  it("ends equal with no duplicates through 429s, 5xx, timeouts and dropped connections", async () => {
    const mapping = exampleMapping(scim, (t) => t.replace("name: assets", "name: faults"));
    scim.faults = ["429", "503", "hang", "drop-before", "drop-after"];
    let report = await run(mapping);
    scim.faults = [];
    assert.ok(scim.requests.length > 20);
    // Whatever failed after its attempts is retried by a later run.
    for (let i = 0; i < 3 && Object.keys(report.counts).some((k) => k.endsWith(".failed")); i++) {
      report = await run(mapping, { full: true });
    }
    assert.deepEqual(duplicates(scim), []);
    assert.deepEqual(sorted(activeRecords(scim)), sorted(expectedActive(harness, groups)));
  });

  it("quarantines a target that refuses the credentials, and lifts it after a good run", async () => {
    const mapping = exampleMapping(scim, (t) => t.replace("name: assets", "name: auth"));
    const token = scim.token;
    scim.token = "another-token";
    let clock = Date.now();
    const now = () => clock;
    const first = await run(mapping, { now });
    assert.match(first.quarantine?.reason ?? "", /refused the credentials/);
    assert.equal(first.run?.status, "quarantined");
    await assert.rejects(run(mapping, { now }), (err: unknown) =>
      isConnectorError(err, "MAPPING_TARGET_QUARANTINED"),
    );
    scim.token = token;
    clock = first.quarantine!.until + 1;
    const second = await run(mapping, { now });
    assert.equal(second.run?.status, "succeeded");
    assert.equal(await harness.store.mappings.quarantine("auth"), undefined);
    assert.deepEqual(sorted(activeRecords(scim)), sorted(expectedActive(harness, groups)));
  });

  it("a finished run posts its signed summary to the mapping's webhook; a dry run posts nothing", async () => {
    const secret = "whsec-mapping-run-0123456789";
    const received: { headers: Record<string, unknown>; body: string }[] = [];
    const receiver = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
      res.writeHead(204).end();
    });
    await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
    try {
      const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/runs`;
      const mapping: Mapping = {
        ...exampleMapping(scim, (t) => t.replace("name: assets", "name: notified")),
        notify: notifySchema.parse({ webhook: { url, secret } }),
      };
      await run(mapping, { dryRun: true });
      assert.equal(received.length, 0);
      const report = await run(mapping);
      assert.deepEqual(report.notifications, [{ channel: "webhook", sent: true }]);
      assert.equal(received.length, 1);
      const { headers, body } = received[0]!;
      assert.ok(
        verifySignature(
          secret,
          String(headers["x-entra-connector-timestamp"]),
          body,
          String(headers["x-entra-connector-signature"]),
        ),
      );
      const summary = JSON.parse(body) as { type: string; runId: string; counts: Record<string, number> };
      assert.equal(summary.type, "mapping.run.completed");
      assert.equal(summary.runId, report.run?.id);
      assert.deepEqual(summary.counts, report.counts);
    } finally {
      receiver.close();
    }
  });
});
