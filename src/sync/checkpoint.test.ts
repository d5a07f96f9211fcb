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
  assert.deepEqual(planStream(undefined, "s", false, "https://x"), { action: "start-load" });
  assert.deepEqual(planStream(load, "s", true, "https://x"), { action: "resume-load", position: load });
  assert.deepEqual(planStream(delta, "s", false, "https://x"), { action: "delta", link: delta.link });
  assert.deepEqual(planStream(delta, "s", true, "https://x"), { action: "start-load" });
  assert.deepEqual(planStream(delta, "other", false, "https://x"), { action: "start-load" });
  assert.deepEqual(planStream(load, "other", false, "https://x"), { action: "start-load" });
});

test("links saved from another Graph root are never followed: a new full load, naming where they pointed", () => {
  assert.deepEqual(planStream(delta, "s", false, "https://y"), {
    action: "start-load",
    movedFrom: "https://x",
  });
  assert.deepEqual(planStream(load, "s", false, "https://y"), {
    action: "start-load",
    movedFrom: "https://x",
  });
  const listing = {
    ...load,
    deltaLink: "https://y/delta?$deltatoken=a",
    next: "https://x/users?$skiptoken=c",
  };
  assert.deepEqual(planStream(listing, "s", false, "https://y"), {
    action: "start-load",
    movedFrom: "https://x",
  });
  const fresh = { ...load, deltaLink: "https://y/delta?$deltatoken=a", next: "/users?$top=999" };
  assert.deepEqual(planStream(fresh, "s", false, "https://y"), { action: "resume-load", position: fresh });
  // A host that merely starts like the root is another root.
  const lookalike = { ...delta, link: "https://x.evil/delta?$deltatoken=b" };
  assert.equal(planStream(lookalike, "s", false, "https://x").action, "start-load");
});
