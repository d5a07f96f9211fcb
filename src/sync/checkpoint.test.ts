import assert from "node:assert/strict";
import { test } from "node:test";
import { isConnectorError } from "../errors.ts";
import { planStream, readPosition, toCheckpoint } from "./checkpoint.ts";

const load = {
  phase: "load" as const,
  select: "s",
  round: 3,
  deltaLink: "https://x/delta?$deltatoken=a",
  next: null,
};
const delta = { phase: "delta" as const, select: "s", link: "https://x/delta?$deltatoken=b" };

test("positions round-trip through the stored checkpoint", () => {
  assert.deepEqual(readPosition("users", toCheckpoint(load)), load);
  assert.deepEqual(readPosition("users", toCheckpoint(delta)), delta);
  assert.equal(readPosition("users", undefined), undefined);
});

test("an unknown version or a malformed checkpoint is refused, naming the stream", () => {
  assert.throws(
    () => readPosition("groups", { version: 99, data: {} }),
    (e) => isConnectorError(e, "CONFIG_INVALID") && e.message.includes("groups") && e.message.includes("99"),
  );
  assert.throws(
    () => readPosition("groups", { version: 1, data: { phase: "delta" } }),
    (e) => isConnectorError(e, "CONFIG_INVALID") && e.message.includes("malformed"),
  );
});

test("what a stream does: resume a load in progress even under --full; else delta unless --full or the selection changed", () => {
  assert.deepEqual(planStream(undefined, "s", false), { action: "start-load" });
  assert.deepEqual(planStream(load, "s", true), { action: "resume-load", position: load });
  assert.deepEqual(planStream(delta, "s", false), { action: "delta", link: delta.link });
  assert.deepEqual(planStream(delta, "s", true), { action: "start-load" });
  assert.deepEqual(planStream(delta, "other", false), { action: "start-load" });
  assert.deepEqual(planStream(load, "other", false), { action: "start-load" });
});
