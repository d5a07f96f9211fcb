import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { requestCost } from "./cost.ts";
import { readBudgetFor, Throttle } from "./throttle.ts";

describe("requestCost", () => {
  it("applies $select -1, $expand +1, $top<20 -1, never below 1", () => {
    assert.equal(requestCost(2, new URLSearchParams("")), 2);
    assert.equal(requestCost(2, new URLSearchParams("$select=id")), 1);
    assert.equal(requestCost(3, new URLSearchParams("$expand=members")), 4);
    assert.equal(requestCost(2, new URLSearchParams("$top=5&$select=id")), 1);
    assert.equal(requestCost(5, new URLSearchParams("$top=5")), 4);
  });
});

describe("Throttle", () => {
  it("sizes the read budget by tenant users", () => {
    assert.equal(readBudgetFor(10), 3500);
    assert.equal(readBudgetFor(300), 5000);
    assert.equal(readBudgetFor(100_000), 8000);
  });

  it("answers 429 with Retry-After and scope once the bucket is spent, and refills with time", () => {
    let now = 0;
    const throttle = new Throttle({ enabled: true, readBudget: 10 }, () => now);
    const call = { appId: "a", tenantId: "t", tenantUsers: 10, cost: 2, write: false };
    for (let i = 0; i < 5; i++) assert.equal(throttle.charge(call).ok, true);
    const refused = throttle.charge(call);
    assert.equal(refused.ok, false);
    if (refused.ok) return;
    assert.ok(refused.retryAfterSec >= 1);
    assert.equal(refused.headers["x-ms-throttle-scope"], "Tenant_Application/ReadWrite/a/t");
    assert.equal(refused.headers["x-ms-throttle-information"], "ResourceUnitLimitExceeded");
    now += refused.retryAfterSec * 1000;
    assert.equal(throttle.charge(call).ok, true);
  });

  it("reports the share used above 80% and always the resource units", () => {
    const throttle = new Throttle({ enabled: true, readBudget: 10 }, () => 0);
    const first = throttle.charge({ appId: "a", tenantId: "t", tenantUsers: 1, cost: 5, write: false });
    assert.equal(first.headers["x-ms-resource-unit"], "5");
    assert.equal(first.headers["x-ms-throttle-limit-percentage"], undefined);
    const second = throttle.charge({ appId: "a", tenantId: "t", tenantUsers: 1, cost: 4, write: false });
    assert.equal(second.headers["x-ms-throttle-limit-percentage"], "0.90");
  });

  it("charges writes against the write budget too", () => {
    const throttle = new Throttle({ enabled: true, writeBudget: 2 }, () => 0);
    const write = { appId: "a", tenantId: "t", tenantUsers: 1, cost: 1, write: true };
    assert.equal(throttle.charge(write).ok, true);
    assert.equal(throttle.charge(write).ok, true);
    assert.equal(throttle.charge(write).ok, false);
    assert.equal(throttle.charge({ ...write, write: false }).ok, true, "reads still pass");
  });

  it("does nothing when disabled but still reports resource units", () => {
    const throttle = new Throttle({ enabled: false, readBudget: 1 }, () => 0);
    for (let i = 0; i < 10; i++)
      assert.equal(
        throttle.charge({ appId: "a", tenantId: "t", tenantUsers: 1, cost: 3, write: false }).ok,
        true,
      );
  });
});
