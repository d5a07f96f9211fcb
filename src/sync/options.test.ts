import assert from "node:assert/strict";
import { test } from "node:test";
import { isConnectorError } from "../errors.ts";
import { planStreams } from "./engine.ts";
import { parseKinds, parsePropertySelection, SYNC_KINDS } from "./options.ts";

test("--kinds: absent means everything; names are checked before anything is sent", () => {
  assert.deepEqual([...parseKinds(undefined)], SYNC_KINDS);
  assert.deepEqual([...parseKinds(" Users, groups ")], ["users", "groups"]);
  assert.throws(
    () => parseKinds("users,grups"),
    (e) =>
      isConnectorError(e, "CONFIG_INVALID") && e.message.includes("--kinds") && e.message.includes('"grups"'),
  );
});

test("--properties parses per resource and refuses a malformed part", () => {
  assert.deepEqual(parsePropertySelection("user:displayName, department;group:displayName"), {
    user: ["displayName", "department"],
    group: ["displayName"],
  });
  assert.equal(parsePropertySelection(undefined), undefined);
  assert.throws(
    () => parsePropertySelection("device:id"),
    (e) => isConnectorError(e, "CONFIG_INVALID"),
  );
});

test("memberships and owners bring the groups stream; licences bring users and SKUs; waves in order", () => {
  const names = (kinds: string) =>
    planStreams({ kinds: parseKinds(kinds), full: false, skipAdGroups: false }).map((p) =>
      "tracked" in p ? p.tracked.stream : p.snapshot.stream,
    );
  assert.deepEqual(names("memberships"), ["groups"]);
  assert.deepEqual(names("licenses"), ["users", "licenses"]);
  assert.deepEqual(names(""), ["users", "groups", "licenses", "apps", "roles"]);
  // Apps and roles re-read assignments naming principals: after the streams that delete principals.
  const waves = planStreams({ kinds: parseKinds(""), full: false, skipAdGroups: false }).map((p) => p.wave);
  assert.deepEqual(waves, [1, 1, 1, 2, 3]);
  const first = planStreams({ kinds: parseKinds(""), full: true, skipAdGroups: false }, true);
  assert.deepEqual(
    first.map((p) => p.wave),
    [1, 1, 1, 1, 1],
    "the first sync into an empty store deletes nothing: no need to wait",
  );
});
