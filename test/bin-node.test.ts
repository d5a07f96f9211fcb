/**
 * The package bin started by an older Node (the machine's, after `npm link`): it runs itself again on
 * the project's Node 24, or, where there is none, says in one line what it needs and exits 2.
 */
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";

const BIN = join(import.meta.dirname, "..", "bin", "entra-connector.js");

/** A Node older than 24 on this machine (the system's), if any. */
function olderNode(): string | undefined {
  for (const candidate of ["/usr/bin/node", "/usr/local/bin/node", "/bin/node"]) {
    if (!existsSync(candidate)) continue;
    const version = execFileSync(candidate, ["--version"], { encoding: "utf8" }).trim();
    if (Number(version.replace(/^v/, "").split(".")[0]) < 24) return candidate;
  }
  return undefined;
}

const older = olderNode();
const skip = older === undefined ? "no Node older than 24 on this machine" : false;

test("started by an older Node, the bin runs the CLI on the project's Node 24", { skip }, () => {
  const r = spawnSync(older!, [BIN, "--version"], { encoding: "utf8" });
  assert.equal(r.stderr, "");
  assert.equal(r.status, 0);
  assert.match(r.stdout, /^\d+\.\d+\.\d+\n$/);
  const failing = spawnSync(older!, [BIN, "runs", "--store", "/nonexistent/store.db"], { encoding: "utf8" });
  assert.equal(failing.status, 2, "the CLI's own exit code comes through");
  assert.match(failing.stderr, /^error STORE_NOT_FOUND/);
});

test("without a Node 24 to hand it says what it needs in one line and exits 2", { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), "bin-node-"));
  try {
    mkdirSync(join(dir, "bin"));
    writeFileSync(join(dir, "package.json"), '{"type": "module"}');
    copyFileSync(BIN, join(dir, "bin", "entra-connector.js"));
    const r = spawnSync(older!, [join(dir, "bin", "entra-connector.js"), "--version"], { encoding: "utf8" });
    assert.equal(r.status, 2);
    assert.equal(r.stdout, "");
    assert.match(
      r.stderr,
      /^entra-connector needs Node\.js 24 or newer, and this is v\d+\.\d+\.\d+: run `npm install`/,
    );
    assert.equal(r.stderr.trim().split("\n").length, 1, "one line, no stack trace");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// The project's own bin is not in its node_modules/.bin, so npx links the project into npx's cache,
// checking its `engines` against the Node running npm: a fresh cache shows what a first run shows.
test("npx on the machine's Node runs the bin without an engine warning", { skip }, () => {
  const npx = ["/usr/bin/npx", "/usr/local/bin/npx", "/bin/npx"].find((p) => existsSync(p));
  if (npx === undefined) return;
  const cache = mkdtempSync(join(tmpdir(), "npx-cache-"));
  try {
    const r = spawnSync(npx, ["entra-connector", "--version"], {
      cwd: join(import.meta.dirname, ".."),
      env: { ...process.env, PATH: `${join(older!, "..")}:/usr/bin:/bin`, npm_config_cache: cache },
      encoding: "utf8",
    });
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /EBADENGINE/);
    assert.match(r.stdout, /^\d+\.\d+\.\d+\n$/);
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
});
