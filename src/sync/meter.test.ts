import assert from "node:assert/strict";
import { test } from "node:test";
import { count, countBatch, drain, estimateResourceUnits, newMeter, totals } from "./meter.ts";

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

test("a $batch is one round trip carrying its reads; drain hands on only what is new", () => {
  const meter = newMeter();
  count(meter, "/servicePrincipals/delta?$deltatoken=x");
  countBatch(meter, ["/groups/a/members?$select=id&$top=999", "/servicePrincipals/b/owners"]);
  assert.deepEqual(drain(meter), { requests: 2, batchedRequests: 2, resourceUnits: 4 });
  count(meter, "/subscribedSkus");
  assert.deepEqual(drain(meter), { requests: 1, batchedRequests: 0, resourceUnits: 3 });
  assert.deepEqual(drain(meter), { requests: 0, batchedRequests: 0, resourceUnits: 0 });
  assert.deepEqual(totals(meter), { requests: 3, batchedRequests: 2, resourceUnits: 7 });
});
