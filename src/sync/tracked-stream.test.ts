import assert from "node:assert/strict";
import { test } from "node:test";
import type { Edge } from "../store/types.ts";
import { lastById, splitContent } from "./tracked-stream.ts";

const edge = (n: number): Edge => ({
  relation: "group:member",
  objectId: "g",
  principalId: `u${n}`,
  principalType: "user",
});

test("a page's writes split into parts of bounded size, in the store's order, nothing lost", () => {
  const content = {
    deletes: [{ kind: "group" as const, id: "d1" }],
    upserts: [1, 2, 3].map((n) => ({ kind: "group" as const, id: `g${n}`, data: { id: `g${n}` } })),
    edges: { add: [1, 2, 3, 4, 5, 6].map(edge), remove: [edge(9)] },
  };
  const parts = splitContent(content, 4);
  assert.deepEqual(
    parts.map(
      (p) =>
        (p.deletes?.length ?? 0) +
        (p.upserts?.length ?? 0) +
        (p.edges?.add?.length ?? 0) +
        (p.edges?.remove?.length ?? 0),
    ),
    [4, 4, 3],
  );
  assert.deepEqual(parts[0]?.deletes, content.deletes);
  assert.deepEqual(parts[1]?.edges?.remove, [edge(9)]);
  assert.deepEqual(
    parts.flatMap((p) => p.edges?.add ?? []),
    content.edges.add,
  );
  assert.deepEqual(
    splitContent({}, 4),
    [{}],
    "an empty page is still one commit (it carries the checkpoint)",
  );
});

test("a delta page reporting an object twice keeps its last state", () => {
  const out = lastById([{ id: "a", v: 1 }, { id: "b" }, { id: "a", "@removed": { reason: "deleted" } }]);
  assert.deepEqual(out, [{ id: "b" }, { id: "a", "@removed": { reason: "deleted" } }]);
});
