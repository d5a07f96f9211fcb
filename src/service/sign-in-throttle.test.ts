import assert from "node:assert/strict";
import { test } from "node:test";
import { failureThrottle } from "./sign-in-throttle.ts";

test("failed sign-ins from one address are slowed down after the free ones, doubling up to the cap", () => {
  let now = 0;
  const throttle = failureThrottle(() => now, { free: 2, maxDelayMs: 1000 });
  const delays = Array.from({ length: 7 }, () => throttle.failed("10.0.0.1"));
  assert.deepEqual(delays, [0, 0, 250, 500, 1000, 1000, 1000]);
  assert.equal(throttle.failed("10.0.0.2"), 0, "another address is not slowed");
  now += 16 * 60_000;
  assert.equal(throttle.failed("10.0.0.1"), 0, "the window has passed");
});

test("a successful sign-in clears the address's failures", () => {
  const throttle = failureThrottle(() => 0, { free: 1 });
  throttle.failed("a");
  assert.ok(throttle.failed("a") > 0);
  throttle.succeeded("a");
  assert.equal(throttle.failed("a"), 0);
});
