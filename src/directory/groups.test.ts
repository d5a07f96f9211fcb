import assert from "node:assert/strict";
import { test } from "node:test";
import { mergeGroupFragments } from "./groups.ts";

const user = (id: string) => ({ "@odata.type": "#microsoft.graph.user", id });
const gone = (id: string) => ({ id, "@removed": { reason: "deleted" } });

test("a group split across one page's fragments becomes one entry with every member slice", () => {
  const merged = mergeGroupFragments([
    { id: "g1", displayName: "Sales", "members@delta": [user("u1"), user("u2")] },
    { id: "g2", displayName: "Ops" },
    { id: "g1", "members@delta": [user("u3"), { "@odata.type": "#microsoft.graph.group", id: "g9" }] },
  ]);
  assert.equal(merged.length, 2);
  const g1 = merged[0]!;
  assert.equal(g1.id, "g1");
  assert.equal(g1.object?.["displayName"], "Sales", "a members-only fragment must not erase the properties");
  assert.deepEqual(
    [...g1.added],
    [
      ["u1", "user"],
      ["u2", "user"],
      ["u3", "user"],
      ["g9", "group"],
    ],
  );
  assert.equal(merged[1]!.added.size, 0);
});

test("the last operation on a member within a page wins", () => {
  const [g] = mergeGroupFragments([
    { id: "g1", displayName: "A", "members@delta": [user("u1"), gone("u2")] },
    { id: "g1", "members@delta": [gone("u1"), user("u2")] },
  ]);
  assert.deepEqual([...g!.added.keys()], ["u2"]);
  assert.deepEqual([...g!.removedMembers], ["u1"]);
});

test("a removed group carries its reason and no object; a later fragment with properties restores it", () => {
  const [g] = mergeGroupFragments([{ id: "g1", "@removed": { reason: "changed" } }]);
  assert.equal(g!.removed, "changed");
  assert.equal(g!.object, undefined);
  const [h] = mergeGroupFragments([
    { id: "g1", "@removed": { reason: "deleted" } },
    { id: "g1", displayName: "back" },
  ]);
  assert.equal(h!.removed, undefined);
  assert.equal(h!.object?.["displayName"], "back");
});
