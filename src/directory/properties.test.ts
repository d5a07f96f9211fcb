import assert from "node:assert/strict";
import { test } from "node:test";
import { isConnectorError } from "../errors.ts";
import { chooseProperties, normalise, objectType, selectParam } from "./properties.ts";
import { USER_PROPERTIES, USER_REQUIRED } from "./users.ts";

const props = [{ name: "displayName" }, { name: "department" }, { name: "businessPhones", collection: true }];

test("a delta answer (nulls and empty collections left out) and a list answer normalise to the same object", () => {
  const fromList = normalise(
    { id: "1", displayName: "Ann", department: null, businessPhones: [], extra: 1 },
    props,
  );
  const fromDelta = normalise({ id: "1", displayName: "Ann", "@odata.type": "#microsoft.graph.user" }, props);
  assert.deepEqual(fromList, { id: "1", displayName: "Ann", department: null, businessPhones: [] });
  assert.deepEqual(fromDelta, fromList);
});

test("an object without an id is refused", () => {
  assert.throws(() => normalise({ displayName: "x" }, props), TypeError);
});

test("$select puts id first, once", () => {
  assert.equal(selectParam(props, ["members"]), "id,displayName,department,businessPhones,members");
});

test("a property selection keeps what the connector needs and names unknown properties", () => {
  const chosen = chooseProperties("--properties user", USER_PROPERTIES, ["department"], USER_REQUIRED);
  assert.deepEqual(
    chosen.map((p) => p.name),
    ["displayName", "userPrincipalName", "department", "accountEnabled", "assignedLicenses"],
  );
  assert.throws(
    () => chooseProperties("--properties user", USER_PROPERTIES, ["departmnt"], USER_REQUIRED),
    (err) =>
      isConnectorError(err, "CONFIG_INVALID") &&
      err.message.includes("--properties user") &&
      err.message.includes("departmnt") &&
      err.message.includes("department"),
  );
});

test("@odata.type becomes the short principal type", () => {
  assert.equal(objectType({ "@odata.type": "#microsoft.graph.servicePrincipal" }), "servicePrincipal");
  assert.equal(objectType({}), "directoryObject");
});
