import assert from "node:assert/strict";
import { test } from "node:test";
import { isConnectorError } from "../errors.ts";
import { checkDuration, formatDuration, MAX_DURATION_MS, parseDuration } from "./duration.ts";

function refused(value: string, message: RegExp, limits = {}) {
  assert.throws(
    () => parseDuration(value, "--interval", limits),
    (e) => isConnectorError(e, "CONFIG_INVALID") && message.test(e.message),
    value,
  );
}

test("a number and a unit, the same syntax for every duration", () => {
  assert.equal(parseDuration("30s", "--interval"), 30_000);
  assert.equal(parseDuration("1500ms", "--interval"), 1500);
  assert.equal(parseDuration(" 5m ", "--interval"), 300_000);
  assert.equal(parseDuration("1.5h", "--interval"), 5_400_000);
  assert.equal(parseDuration("24d", "--interval"), MAX_DURATION_MS);
  refused("soon", /^--interval: "soon" is not a duration; write a number and a unit/);
  refused("3", /^--interval: "3" has no unit; write e\.g\. 3s or 3m/);
  refused("-5s", /not a duration/);
});

test("below the minimum or beyond Node's longest timer is refused, naming the limit", () => {
  refused("1ms", /^--interval: "1ms" is shorter than the minimum, 100ms$/);
  refused("0", /has no unit/);
  refused("0s", /shorter than the minimum, 100ms$/);
  refused("30d", /^--interval: "30d" is longer than the maximum, 24d \(the longest timer Node keeps\)$/);
  refused("5ms", /shorter than the minimum, 10ms/, { minMs: 10 });
  assert.equal(parseDuration("10ms", "--webhook-timeout", { minMs: 10 }), 10);
});

test("0 means every time only where a duration allows it", () => {
  assert.equal(parseDuration("0", "--app-assignments-every", { zero: true }), 0);
  assert.equal(parseDuration("0s", "--app-assignments-every", { zero: true }), 0);
  refused("1ms", /shorter than the minimum, 100ms \(or 0 for every time\)/, { zero: true });
});

test("milliseconds from the library meet the same limits", () => {
  assert.equal(checkDuration(30_000, "intervalMs"), 30_000);
  assert.throws(
    () => checkDuration(2 ** 31, "intervalMs"),
    /intervalMs: 2147483648 ms is longer than the maximum, 24d/,
  );
  assert.throws(() => checkDuration(1, "intervalMs"), /shorter than the minimum, 100ms/);
  assert.equal(formatDuration(90_000), "90s");
  assert.equal(formatDuration(86_400_000), "1d");
  assert.equal(formatDuration(1500), "1500ms");
});
