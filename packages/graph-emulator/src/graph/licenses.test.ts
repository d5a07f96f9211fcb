import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { generateTenant } from "../tenant/generator.ts";
import type { GraphObject } from "../tenant/types.ts";
import { registerDeletedItemRoutes } from "./deleted-items.ts";
import { registerLicenseRoutes } from "./licenses.ts";
import { testRouter } from "./test-router.ts";

const READ = ["Directory.Read.All"];

function setup() {
  const { model } = generateTenant({ size: "s", seed: 4, permissions: [] });
  return testRouter({ tenant: model, register: [registerLicenseRoutes, registerDeletedItemRoutes] });
}

type Body = Record<string, unknown> & { value: Record<string, unknown>[] };
type Sku = GraphObject & { skuId: string; consumedUnits: number; prepaidUnits: { enabled: number } };
const message = (reply: { body: Record<string, unknown> }) =>
  String((reply.body["error"] as Record<string, unknown>)?.["message"]);
const held = (user: GraphObject) =>
  ((user["assignedLicenses"] as { skuId: string }[] | undefined) ?? []).map((l) => l.skuId);

function freeSku(t: ReturnType<typeof setup>, user: GraphObject): Sku {
  const sku = (t.tenant.list("subscribedSku") as Sku[]).find(
    (s) => s.consumedUnits < s.prepaidUnits.enabled && !held(user).includes(s.skuId),
  );
  assert.ok(sku);
  return sku;
}

function licensableUser(t: ReturnType<typeof setup>): GraphObject {
  const user = t.tenant.list("user").find((u) => typeof u["usageLocation"] === "string");
  assert.ok(user);
  return user;
}

describe("licences", () => {
  it("lists subscribed SKUs with seat counts that match the users holding them; only $select", async () => {
    const t = setup();
    const list = await t.call("GET", "/v1.0/subscribedSkus", { permissions: READ });
    const skus = (list.body as Body).value;
    assert.equal(skus.length, t.tenant.count("subscribedSku"));
    for (const sku of skus) {
      const holders = t.tenant.list("user").filter((u) => held(u).includes(sku["skuId"] as string)).length;
      assert.equal(sku["consumedUnits"], holders, String(sku["skuPartNumber"]));
      assert.equal(sku["id"], `${t.tenant.info.id}_${sku["skuId"]}`);
    }
    const select = await t.call("GET", "/v1.0/subscribedSkus?$select=skuPartNumber,consumedUnits", {
      permissions: READ,
    });
    assert.deepEqual(Object.keys((select.body as Body).value[0] ?? {}), ["skuPartNumber", "consumedUnits"]);
    const filter = await t.call("GET", "/v1.0/subscribedSkus?$filter=skuPartNumber eq 'x'", {
      permissions: READ,
    });
    assert.equal(filter.status, 400);
  });

  it("assigns and removes a licence, moving the seat count, and shows it in licenseDetails", async () => {
    const t = setup();
    const user = licensableUser(t);
    const sku = freeSku(t, user);
    const consumed = sku.consumedUnits;
    const plan = (sku["servicePlans"] as { servicePlanId: string }[])[0]?.servicePlanId as string;
    const url = `/v1.0/users/${user.id}/assignLicense`;
    const assigned = await t.call("POST", url, {
      body: { addLicenses: [{ skuId: sku.skuId, disabledPlans: [plan] }], removeLicenses: [] },
    });
    assert.equal(assigned.status, 200, JSON.stringify(assigned.body));
    assert.match(String(assigned.body["@odata.context"]), /#users\/\$entity$/);
    assert.equal(assigned.body["id"], user.id);
    assert.equal(sku.consumedUnits, consumed + 1);
    const details = await t.call("GET", `/v1.0/users/${user["userPrincipalName"]}/licenseDetails`, {
      permissions: READ,
    });
    const mine = (details.body as Body).value.find((d) => d["skuId"] === sku.skuId);
    assert.ok(mine);
    const plans = mine["servicePlans"] as { servicePlanId: string; provisioningStatus: string }[];
    assert.equal(plans.find((p) => p.servicePlanId === plan)?.provisioningStatus, "Disabled");
    assert.match(String(details.body["@odata.context"]), /#users\('[^']+'\)\/licenseDetails$/);

    const removed = await t.call("POST", url, { body: { addLicenses: [], removeLicenses: [sku.skuId] } });
    assert.equal(removed.status, 200);
    assert.equal(sku.consumedUnits, consumed);
    assert.ok(!held(t.tenant.get("user", user.id) as GraphObject).includes(sku.skuId));
  });

  it("refuses bad assignments with Graph's errors", async () => {
    const t = setup();
    const user = licensableUser(t);
    const sku = freeSku(t, user);
    const url = `/v1.0/users/${user.id}/assignLicense`;
    const noLocation = t.tenant.list("user").find((u) => u["usageLocation"] === undefined) as GraphObject;
    const full = (t.tenant.list("subscribedSku") as Sku[]).find(
      (s) => s.consumedUnits >= s.prepaidUnits.enabled && !held(user).includes(s.skuId),
    );
    assert.ok(full, "the generator leaves one SKU without free seats");
    const cases: [string, unknown, number, RegExp][] = [
      [url, { addLicenses: [{ skuId: sku.skuId }] }, 400, /removeLicenses/],
      [
        url,
        { addLicenses: [{ skuId: "6fd2c87f-0000-0000-0000-000000000000" }], removeLicenses: [] },
        400,
        /does not correspond to a valid company License/,
      ],
      [
        url,
        { addLicenses: [], removeLicenses: [sku.skuId] },
        400,
        /^User does not have a corresponding license\.$/,
      ],
      [url, { addLicenses: [{ skuId: full.skuId }], removeLicenses: [] }, 400, /no free seats/],
      [
        url,
        { addLicenses: [{ skuId: sku.skuId, disabledPlans: ["nope"] }], removeLicenses: [] },
        400,
        /disabledPlans/,
      ],
      [url, { addLicenses: [], removeLicenses: [], extra: true }, 400, /extra/],
      [
        `/v1.0/users/${noLocation.id}/assignLicense`,
        { addLicenses: [{ skuId: sku.skuId }], removeLicenses: [] },
        400,
        /^License assignment cannot be done for user with invalid usage location\.$/,
      ],
      ["/v1.0/users/missing/assignLicense", { addLicenses: [], removeLicenses: [] }, 404, /does not exist/],
    ];
    for (const [target, body, status, pattern] of cases) {
      const reply = await t.call("POST", target, { body });
      assert.equal(reply.status, status, JSON.stringify(body));
      assert.match(message(reply), pattern);
    }
    const readOnly = await t.call("POST", url, {
      body: { addLicenses: [], removeLicenses: [] },
      permissions: READ,
    });
    assert.equal(readOnly.status, 403);
  });
});

describe("deleted items", () => {
  it("lists deleted users and groups only through a type cast", async () => {
    const t = setup();
    const users = await t.call("GET", "/v1.0/directory/deletedItems/microsoft.graph.user", {
      permissions: READ,
    });
    const value = (users.body as Body).value;
    assert.equal(value.length, t.tenant.deletedItems("user").length);
    assert.ok(value.every((u) => typeof u["deletedDateTime"] === "string"));
    const groups = await t.call("GET", "/v1.0/directory/deletedItems/microsoft.graph.group", {
      permissions: READ,
    });
    assert.equal((groups.body as Body).value.length, t.tenant.deletedItems("group").length);
    const uncast = await t.call("GET", "/v1.0/directory/deletedItems", { permissions: READ });
    assert.equal(uncast.status, 400);
  });

  it("reads, restores and permanently deletes by id", async () => {
    const t = setup();
    const [first, second] = t.tenant.deletedItems("user");
    assert.ok(first && second);
    const one = await t.call("GET", `/v1.0/directory/deletedItems/${first.object.id}`, { permissions: READ });
    assert.equal(one.body["@odata.type"], "#microsoft.graph.user");
    assert.match(String(one.body["@odata.context"]), /#directoryObjects\/\$entity$/);
    const restored = await t.call("POST", `/v1.0/directory/deletedItems/${first.object.id}/restore`);
    assert.equal(restored.status, 200);
    assert.equal(restored.body["deletedDateTime"], null);
    assert.ok(t.tenant.get("user", first.object.id));
    assert.equal(
      (await t.call("POST", `/v1.0/directory/deletedItems/${first.object.id}/restore`)).status,
      404,
    );

    assert.equal((await t.call("DELETE", `/v1.0/directory/deletedItems/${second.object.id}`)).status, 204);
    assert.equal((await t.call("GET", `/v1.0/directory/deletedItems/${second.object.id}`)).status, 404);
    assert.equal(
      (await t.call("DELETE", `/v1.0/directory/deletedItems/${first.object.id}`, { permissions: READ }))
        .status,
      403,
    );
  });

  it("refuses to restore a user whose userPrincipalName was taken meanwhile", async () => {
    const t = setup();
    const record = t.tenant.deletedItems("user")[0];
    assert.ok(record);
    t.tenant.insert("user", {
      id: "new-owner",
      displayName: "Taker",
      userPrincipalName: record.object["userPrincipalName"],
    });
    const reply = await t.call("POST", `/v1.0/directory/deletedItems/${record.object.id}/restore`);
    assert.equal(reply.status, 400);
    assert.match(message(reply), /userPrincipalName already exists/);
    assert.ok(t.tenant.getDeleted(record.object.id));
  });
});
