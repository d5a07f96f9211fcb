import assert from "node:assert/strict";
import { test } from "node:test";
import { count, countBatch, drain, metered, newMeter, totals } from "./meter.ts";

test("each page is counted at the link it was read from, priced as the limiter prices it", async () => {
  const meter = newMeter();
  async function* pages() {
    yield { value: [], nextLink: "https://g/v1.0/users/delta?$skiptoken=a" };
    yield { value: [], deltaLink: "https://g/v1.0/users/delta?$deltatoken=b" };
  }
  for await (const _ of metered(meter, "/users/delta?$select=id", pages()));
  // The first page had $select (2 − 1); the skip-token page has not (2).
  assert.deepEqual(totals(meter), { requests: 2, batchedRequests: 0, resourceUnits: 3 });
  count(meter, "/directoryObjects/getByIds", "POST");
  assert.equal(totals(meter).resourceUnits, 6);
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
