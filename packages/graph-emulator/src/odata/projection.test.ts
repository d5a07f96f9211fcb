import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ODataError } from "./errors.ts";
import { compileComparator, parseOrderBy } from "./orderby.ts";
import { groups, subscribedSkus, users } from "./resources.ts";
import { compileProjection, parseSelect } from "./select.ts";

const stored = {
  id: "u1",
  displayName: "Ann",
  userPrincipalName: "ann@contoso.com",
  mail: null,
  businessPhones: [],
  accountEnabled: true,
  internalOnly: "never shown",
};

describe("projection", () => {
  it("returns the user default set in Graph's order with id last, nulls and [] for unset values", () => {
    const out = compileProjection(users, undefined)(stored);
    assert.deepEqual(Object.keys(out), [
      "businessPhones",
      "displayName",
      "givenName",
      "jobTitle",
      "mail",
      "mobilePhone",
      "officeLocation",
      "preferredLanguage",
      "surname",
      "userPrincipalName",
      "id",
    ]);
    assert.deepEqual(out.businessPhones, []);
    assert.equal(out.givenName, null);
    assert.equal(out.mail, null);
    assert.equal("accountEnabled" in out, false);
  });

  it("follows $select, keeping the client's order but id where the type puts it", () => {
    const select = parseSelect("id,accountEnabled,displayName,proxyAddresses", users);
    assert.deepEqual(compileProjection(users, select)(stored), {
      accountEnabled: true,
      displayName: "Ann",
      proxyAddresses: [],
      id: "u1",
    });
    const group = compileProjection(
      groups,
      parseSelect("displayName,id", groups),
    )({ id: "g1", displayName: "G" });
    assert.deepEqual(Object.keys(group), ["id", "displayName"]);
  });

  it("puts id first in a group's full default set", () => {
    const out = compileProjection(groups, undefined)({ id: "g1", displayName: "G", groupTypes: ["Unified"] });
    assert.equal(Object.keys(out)[0], "id");
    assert.deepEqual(out.groupTypes, ["Unified"]);
    assert.deepEqual(out.proxyAddresses, []);
    assert.equal(out.description, null);
    assert.ok(Object.keys(out).length > 30);
  });

  it("keeps subscribedSkus in their listed order", () => {
    assert.deepEqual(Object.keys(compileProjection(subscribedSkus, ["skuId", "id", "consumedUnits"])({})), [
      "skuId",
      "id",
      "consumedUnits",
    ]);
  });

  it("omits null scalars and empty collections in delta answers", () => {
    assert.deepEqual(compileProjection(users, undefined, { delta: true })(stored), {
      displayName: "Ann",
      userPrincipalName: "ann@contoso.com",
      id: "u1",
    });
  });

  it("starts directoryObject items with @odata.type, then id", () => {
    const out = compileProjection(users, ["displayName", "id"], { odataType: true })(stored);
    assert.deepEqual(Object.keys(out), ["@odata.type", "id", "displayName"]);
    assert.equal(out["@odata.type"], "#microsoft.graph.user");
  });
});

describe("$orderby", () => {
  const people = [
    { id: "3", displayName: "bob", userPrincipalName: "b@x" },
    { id: "1", displayName: "Ann", userPrincipalName: "z@x" },
    { id: "2", displayName: null, userPrincipalName: "a@x" },
    { id: "4", displayName: "ann", userPrincipalName: "a@x" },
  ];
  const order = (raw: string) =>
    [...people].sort(compileComparator(parseOrderBy(raw, users))).map((p) => p.id);

  it("sorts case-insensitively with missing values last, ties broken by later keys then id", () => {
    assert.deepEqual(order("displayName"), ["1", "4", "3", "2"]);
    assert.deepEqual(order("displayName desc"), ["2", "3", "1", "4"]);
    assert.deepEqual(order("displayName asc, userPrincipalName desc"), ["1", "4", "3", "2"]);
    assert.deepEqual(order("userPrincipalName, displayName"), ["4", "2", "3", "1"]);
  });

  it("refuses unknown properties and bad directions", () => {
    assert.throws(
      () => parseOrderBy("nope", users),
      (e: unknown) => e instanceof ODataError && e.code === "BadRequest",
    );
    assert.throws(
      () => parseOrderBy("displayName sideways", users),
      (e: unknown) =>
        e instanceof ODataError && e.message === "Syntax error at position 0 in 'displayName sideways'.",
    );
  });
});
