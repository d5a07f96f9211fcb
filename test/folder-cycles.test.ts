/**
 * Dependencies between the folders of src/ run one way. The order, lowest first (a folder imports
 * only from folders before it; files directly in src/ count as folders of their own):
 *
 *   errors → common → log → store → directory → graph → sync → config → auth
 *     → triggers, actions → provisioning → connection.ts → service → index.ts → cli
 *
 * `common` holds what several layers need and owns nothing: clouds, ids, token types, sleep,
 * Retry-After and the one backoff. This test fails when an import closes a cycle between folders,
 * and names the imports that make it. Test files are left out: nothing imports them.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const SRC = fileURLToPath(new URL("../src/", import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts") ? [path] : [];
  });
}

/** `src/auth/x.ts` → `auth`; `src/index.ts` → `index.ts`. */
function folderOf(file: string): string {
  return relative(SRC, file).split(sep)[0] as string;
}

/** folder → folder it imports → the imports that make the edge (`file → specifier`). */
function folderGraph(files: readonly string[]): Map<string, Map<string, string[]>> {
  const graph = new Map<string, Map<string, string[]>>();
  for (const file of files) {
    const info = ts.preProcessFile(readFileSync(file, "utf8"), true, true);
    for (const { fileName } of info.importedFiles) {
      if (!fileName.startsWith(".")) continue;
      const from = folderOf(file);
      const to = folderOf(resolve(dirname(file), fileName));
      if (from === to) continue;
      const edges = graph.get(from) ?? new Map<string, string[]>();
      graph.set(from, edges);
      edges.set(to, [...(edges.get(to) ?? []), `${relative(SRC, file)} → ${fileName}`]);
    }
  }
  return graph;
}

/** One cycle of folders (first folder repeated at the end), or undefined. */
function findCycle(graph: Map<string, Map<string, string[]>>): string[] | undefined {
  const state = new Map<string, "open" | "done">();
  const path: string[] = [];
  const visit = (node: string): string[] | undefined => {
    if (state.get(node) === "done") return undefined;
    if (state.get(node) === "open") return [...path.slice(path.indexOf(node)), node];
    state.set(node, "open");
    path.push(node);
    for (const next of graph.get(node)?.keys() ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    path.pop();
    state.set(node, "done");
    return undefined;
  };
  for (const node of [...graph.keys()].sort()) {
    const cycle = visit(node);
    if (cycle) return cycle;
  }
  return undefined;
}

test("the folders of src/ import one another without a cycle", () => {
  const graph = folderGraph(sources(SRC));
  const cycle = findCycle(graph);
  if (!cycle) return;
  const because = cycle.slice(0, -1).map(
    (from, i) =>
      `${from} → ${cycle[i + 1]}: ${graph
        .get(from)
        ?.get(cycle[i + 1] as string)
        ?.join(", ")}`,
  );
  assert.fail(
    `folder cycle ${cycle.join(" → ")}; move the shared code down (src/common/ for helpers) instead:\n  ${because.join("\n  ")}`,
  );
});

test("the check finds a cycle through three folders and none in a chain", () => {
  const edge = (to: string) => new Map([[to, ["x"]]]);
  const chain = new Map([
    ["a", edge("b")],
    ["b", edge("c")],
  ]);
  assert.equal(findCycle(chain), undefined);
  assert.deepEqual(findCycle(new Map([...chain, ["c", edge("a")]])), ["a", "b", "c", "a"]);
});
