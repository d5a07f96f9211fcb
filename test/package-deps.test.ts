/**
 * Each package of the workspace declares what it imports, and imports what it declares: the root
 * (the connector) and packages/graph-emulator. Code that runs in production needs `dependencies`;
 * tests and benches may use `devDependencies`. Tools the npm scripts run are declared at the root only.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
/** Run by npm scripts (or giving types), not imported. */
const TOOLS = new Set(["@biomejs/biome", "@types/node", "node", "typescript"]);

interface Manifest {
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  name?: string;
}

function files(path: string): string[] {
  let entries: import("node:fs").Dirent[];
  try {
    entries = readdirSync(path, { withFileTypes: true });
  } catch {
    return /\.(ts|js)$/.test(path) ? [path] : [];
  }
  return entries.flatMap((e) => (e.name === "node_modules" ? [] : files(join(path, e.name))));
}

function packageOf(specifier: string): string | undefined {
  if (specifier.startsWith(".") || specifier.startsWith("node:") || builtinModules.includes(specifier)) {
    return undefined;
  }
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
}

/** Tests, their helpers (`*test*` in the name, `testing/`) and benches. */
const isTestOnly = (file: string) =>
  /[/\\](test|bench|testing)[/\\]|[/\\][^/\\]*(test|bench)[^/\\]*\.ts$/.test(file);

/** Packages imported by production code and by tests and benches. */
function imports(dir: string, roots: string[]): { production: Set<string>; testOnly: Set<string> } {
  const production = new Set<string>();
  const testOnly = new Set<string>();
  for (const file of roots.flatMap((r) => files(join(dir, r)))) {
    const found = ts.preProcessFile(readFileSync(file, "utf8"), true, true).importedFiles;
    for (const { fileName } of found) {
      const name = packageOf(fileName);
      if (name) (isTestOnly(file.slice(dir.length - 1)) ? testOnly : production).add(name);
    }
  }
  return { production, testOnly };
}

function check(dir: string, roots: string[], tools: Set<string>): void {
  const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as Manifest;
  const deps = new Set(Object.keys(manifest.dependencies ?? {}));
  const devDeps = new Set(Object.keys(manifest.devDependencies ?? {}));
  const { production, testOnly } = imports(dir, roots);
  // A program of the package's own (examples/) imports it by its name, as a user would.
  production.delete(manifest.name ?? "");
  const undeclared = [...production].filter((p) => !deps.has(p));
  assert.deepEqual(
    undeclared,
    [],
    `imported by production code but not in dependencies of ${dir}package.json`,
  );
  const undeclaredDev = [...testOnly].filter((p) => !deps.has(p) && !devDeps.has(p) && !TOOLS.has(p));
  assert.deepEqual(undeclaredDev, [], `imported by tests but declared nowhere in ${dir}package.json`);
  const used = (p: string) => production.has(p) || testOnly.has(p);
  // `@types/x` gives x its types: used when x is.
  const typesOf = (p: string) => /^@types\/(.+)$/.exec(p)?.[1]?.replace(/^(.+)__(.+)$/, "@$1/$2");
  const unused = [...deps, ...devDeps].filter((p) => {
    const typed = typesOf(p);
    return !used(p) && !tools.has(p) && !(typed !== undefined && used(typed));
  });
  assert.deepEqual(unused, [], `declared in ${dir}package.json but imported by none of its code`);
}

describe("packages declare what they use", () => {
  it("the connector (root)", () =>
    check(ROOT, ["src", "bin", "test", "bench", "scripts", "examples"], TOOLS));
  it("the emulator (packages/graph-emulator)", () =>
    check(join(ROOT, "packages/graph-emulator/"), ["src", "bin", "bench.ts"], new Set()));
});
