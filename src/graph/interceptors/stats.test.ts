import assert from "node:assert/strict";
import { test } from "node:test";
import type { GraphCall, RawResponse } from "../call.ts";
import { requestCharge } from "../cost.ts";
import { emptyStats } from "../stats.ts";
import { statsInterceptor } from "./stats.ts";

test("a throttled attempt counts as a request but spends no resource units", async () => {
  const stats = emptyStats();
  const answers: RawResponse[] = [
    { status: 429, headers: { "x-ms-resource-unit": "2", "retry-after": "1" }, body: null, requestId: "a" },
    { status: 200, headers: { "x-ms-resource-unit": "2" }, body: { value: [] }, requestId: "b" },
  ];
  const send = statsInterceptor(stats)(async () => answers.shift() as RawResponse);
  const call = {
    method: "GET",
    url: "https://g/v1.0/users",
    charge: requestCharge("GET", "/users"),
  } as GraphCall;
  await send(call);
  await send(call);
  assert.deepEqual([stats.requests, stats.resourceUnits], [2, 2]);
});
