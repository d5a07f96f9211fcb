import assert from "node:assert/strict";
import { test } from "node:test";
import { estimateResourceUnits } from "./meter.ts";

test("RU estimates follow the documented costs and modifiers", () => {
  assert.equal(estimateResourceUnits("/users?$select=id&$top=999"), 1);
  assert.equal(estimateResourceUnits("/users"), 2);
  assert.equal(estimateResourceUnits("/groups/abc/members?$select=id&$top=999"), 2);
  assert.equal(estimateResourceUnits("/groups/abc/transitiveMembers"), 5);
  assert.equal(estimateResourceUnits("/subscribedSkus"), 3);
  assert.equal(estimateResourceUnits("/groups?$expand=owners"), 2);
  assert.equal(estimateResourceUnits("https://graph.microsoft.com/v1.0/users?$top=5"), 1);
  assert.equal(estimateResourceUnits("/groups/delta?$deltatoken=x"), 1);
});
