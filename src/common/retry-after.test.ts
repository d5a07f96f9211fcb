import assert from "node:assert/strict";
import { test } from "node:test";
import { backoffMs, SERVICE_BACKOFF } from "./retry-after.ts";

test("one backoff for every retry: the step doubles from the base up to the cap, the wait is in its upper half", () => {
  const policy = { baseMs: 100, maxMs: 1000 };
  const low = () => 0;
  const high = () => 1;
  // Retries are counted from 1: the first waits between half the base and the base.
  assert.deepEqual(
    [1, 2, 3, 4, 5].map((retry) => [backoffMs(retry, policy, low), backoffMs(retry, policy, high)]),
    [
      [50, 100],
      [100, 200],
      [200, 400],
      [400, 800],
      [500, 1000],
    ],
  );
  assert.equal(backoffMs(60, policy, high), 1000, "capped however many retries");
  // Graph and the token endpoint: never an immediate retry, never more than 30 s.
  assert.equal(backoffMs(1, SERVICE_BACKOFF, low), 250);
  assert.equal(
    backoffMs(20, SERVICE_BACKOFF, () => 0.999),
    29_985,
  );
});
