/**
 * The repository explains itself: comments and docs point at the project's own documents (docs/graph.md,
 * docs/architecture.md, …), never at design notes or issue trackers a person who clones it cannot read.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { test } from "node:test";

const ROOT = join(import.meta.dirname, "..");
const SKIPPED_DIRS = new Set(["node_modules", ".git"]);

/** Built from parts so that this file does not match itself. */
const FORBIDDEN: { what: string; pattern: RegExp }[] = [
  { what: "an outside reference document", pattern: new RegExp(["graph", "behaviour"].join("-")) },
  { what: "an outside design document", pattern: new RegExp(["ARCHI", "TECTURE\\.md"].join("")) },
  { what: "the shared folder outside the repository", pattern: new RegExp(["\\.\\./", "shared"].join("")) },
  {
    what: "an issue number",
    pattern: new RegExp(["\\bissues?", "\\s+#?\\d+\\b"].join(""), "i"),
  },
];

function* textFiles(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRS.has(entry.name)) yield* textFiles(path);
    } else if (entry.isFile() && statSync(path).size < 4_000_000) {
      yield path;
    }
  }
}

/** Every line of the repository's text files that names something outside it. */
export function outsideReferences(root: string): string[] {
  const found: string[] = [];
  for (const path of textFiles(root)) {
    const text = readFileSync(path);
    if (text.includes(0)) continue; // binary
    text
      .toString("utf8")
      .split("\n")
      .forEach((line, i) => {
        for (const { what, pattern } of FORBIDDEN) {
          if (pattern.test(line)) found.push(`${relative(root, path)}:${i + 1}: ${what}: ${line.trim()}`);
        }
      });
  }
  return found;
}

test("no file points outside the repository (outside design notes, the shared folder, issue numbers)", () => {
  assert.deepEqual(outsideReferences(ROOT), []);
});

test("the check finds each kind of outside reference", async (t) => {
  const { mkdtempSync, mkdirSync, rmSync, writeFileSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const dir = mkdtempSync(join(tmpdir(), "refs-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, "src"));
  mkdirSync(join(dir, "node_modules"));
  const lines = [
    `// see ${["graph", "behaviour"].join("-")}.md §9`,
    `// as ${["ARCHI", "TECTURE"].join("")}.md says`,
    `// from ${["..", "shared"].join("/")}/design`,
    `// fixed for ${"issue"} #12`,
    `// like ${"issue"} 4 asks`,
    "// see docs/architecture.md and docs/graph.md#delta-queries",
  ];
  writeFileSync(join(dir, "src", "a.ts"), lines.join("\n"));
  writeFileSync(join(dir, "node_modules", "b.ts"), lines.join("\n"));
  const found = outsideReferences(dir);
  assert.equal(found.length, 5, found.join("\n"));
  assert.ok(found.every((f) => f.startsWith(join("src", "a.ts"))));
});
