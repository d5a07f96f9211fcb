/** The documented example end to end on the pure core: loaded, compiled by the real expression language, planned. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { compileAttributes, compileExpression, parseMapping, planProvisioning } from "./index.ts";
import { EXAMPLE } from "./test-support.ts";

test("the documented example compiles with the expression language and plans a create and an update", () => {
  const mapping = parseMapping(EXAMPLE, "assets.yaml", { env: { ASSETS_SCIM_TOKEN: "t0ken-value" } });
  const attributes = compileAttributes(mapping, compileExpression);
  const ann = {
    id: "u1",
    state: "active" as const,
    data: {
      id: "u1",
      mail: null,
      userPrincipalName: "Ann.Lee@Contoso.com",
      givenName: "Ann",
      surname: "Lee",
      displayName: "Ann Lee",
      accountEnabled: true,
    },
  };
  const bob = {
    id: "u2",
    state: "active" as const,
    data: {
      id: "u2",
      mail: "Bob@contoso.com",
      userPrincipalName: "bob@contoso.com",
      givenName: "Bob",
      surname: "Stone",
      displayName: "Bob Stone",
      accountEnabled: true,
    },
  };
  const plan = planProvisioning({
    mapping,
    attributes,
    users: [ann, bob],
    targets: [
      {
        id: "t2",
        attributes: {
          userName: "bob@contoso.com",
          name: { givenName: "Bob", familyName: "Stone" },
          displayName: "Bob S.",
          active: true,
          externalId: "u2",
        },
      },
    ],
  });
  const [create, update] = plan.actions;
  assert.equal(create?.kind, "create");
  assert.deepEqual(create?.kind === "create" && create.attributes, {
    userName: "ann.lee@contoso.com",
    name: { givenName: "Ann", familyName: "Lee" },
    displayName: "Ann Lee",
    active: true,
    externalId: "u1",
  });
  assert.equal(update?.kind, "update");
  assert.deepEqual(update?.kind === "update" && update.changes, [
    { path: "displayName", old: "Bob S.", new: "Bob Stone" },
  ]);
});
