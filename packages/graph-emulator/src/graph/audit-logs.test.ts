import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { generateTenant } from "../tenant/generator.ts";
import { mutateTenant } from "../tenant/mutate.ts";
import { registerAuditLogRoutes } from "./audit-logs.ts";
import { registerServicePrincipalRoutes } from "./service-principals.ts";
import { testRouter } from "./test-router.ts";

const AUDIT = ["AuditLog.Read.All"];
type Body = Record<string, unknown> & { value: Record<string, unknown>[] };

function setup() {
  let now = Date.parse("2026-01-10T12:00:00Z");
  const { model } = generateTenant({ size: "s", seed: 15, permissions: [] });
  model.audit.clock = () => now;
  const t = testRouter({
    tenant: model,
    now: () => now,
    register: [registerServicePrincipalRoutes, registerAuditLogRoutes],
  });
  return {
    ...t,
    advance: (ms: number) => {
      now += ms;
    },
    now: () => now,
  };
}

const ACTIVITY = "activityDisplayName eq 'Add app role assignment grant to user'";

describe("directory audits", () => {
  it("records assignment and owner changes newest first, filtered by time and activity, paged", async () => {
    const t = setup();
    const start = new Date(t.now()).toISOString();
    const changes = mutateTenant(t.tenant, { count: 400, seed: 3, now: t.now() });
    const touched = changes.filter((c) => c.op.includes("AppRoleAssignment") || c.op.includes("AppOwner"));
    assert.ok(touched.length > 3, "mutate changes app role assignments and app owners");
    const all = await t.call("GET", `/v1.0/auditLogs/directoryAudits?$filter=activityDateTime ge ${start}`, {
      permissions: AUDIT,
    });
    assert.equal(all.status, 200);
    const value = (all.body as Body).value;
    assert.ok(value.length >= touched.length);
    const seqs = value.map((e) => String(e["id"]));
    assert.deepEqual(seqs, [...seqs].sort().reverse(), "newest first");
    const entry = value.find((e) => e["activityDisplayName"] === "Add app role assignment grant to user");
    assert.ok(entry);
    const targets = entry["targetResources"] as { type: string; id: string }[];
    assert.deepEqual(
      targets.map((r) => r.type),
      ["User", "ServicePrincipal"],
    );
    assert.equal(typeof entry["activityDateTime"], "string");
    assert.equal(entry["result"], "success");

    const filter = `activityDateTime ge ${start} and (${ACTIVITY} or activityDisplayName eq 'Add owner to service principal')`;
    let url: string | undefined = `/v1.0/auditLogs/directoryAudits?$filter=${filter}&$top=2`;
    const paged: string[] = [];
    while (url) {
      const reply = await t.call("GET", url.replace("https://graph.test", ""), { permissions: AUDIT });
      const body = reply.body as Body;
      for (const e of body.value) paged.push(String(e["activityDisplayName"]));
      url = body["@odata.nextLink"] as string | undefined;
    }
    const expected = value
      .map((e) => String(e["activityDisplayName"]))
      .filter((n) => n === "Add app role assignment grant to user" || n === "Add owner to service principal");
    assert.deepEqual(paged, expected);
  });

  it("needs AuditLog.Read.All, refuses unsupported filters, and honours lag, retention and failure knobs", async () => {
    const t = setup();
    const forbidden = await t.call("GET", "/v1.0/auditLogs/directoryAudits", {
      permissions: ["Directory.Read.All"],
    });
    assert.equal(forbidden.status, 403);
    const bad = await t.call("GET", "/v1.0/auditLogs/directoryAudits?$filter=result ne 'success'", {
      permissions: AUDIT,
    });
    assert.equal(bad.status, 400);

    t.faults.configure({ auditLagMs: 60_000, auditRetentionMs: 3_600_000 });
    mutateTenant(t.tenant, { count: 200, seed: 4, now: t.now() });
    const count = async () =>
      ((await t.call("GET", "/v1.0/auditLogs/directoryAudits?$top=999", { permissions: AUDIT })).body as Body)
        .value.length;
    assert.equal(await count(), 0, "not visible before the lag");
    t.advance(60_000);
    assert.ok((await count()) > 0);
    t.advance(3_600_000);
    assert.equal(await count(), 0, "gone after the retention");
    t.faults.configure({ auditFailStatus: 500 });
    assert.equal(
      (await t.call("GET", "/v1.0/auditLogs/directoryAudits", { permissions: AUDIT })).status,
      500,
    );
  });
});
