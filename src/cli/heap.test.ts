import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { SEMI_SPACE_MB, startupLimits, streamsTenant } from "./heap.ts";

const MALLOC = { MALLOC_ARENA_MAX: "1", MALLOC_MMAP_THRESHOLD_: "131072" };

test("a process started without the start-time limits is restarted with both", () => {
  assert.deepEqual(startupLimits([], {}), {
    execArgv: [`--max-semi-space-size=${SEMI_SPACE_MB}`],
    env: MALLOC,
  });
});

test("a restarted process, or one started with its own limits, is not restarted again", () => {
  const restarted = startupLimits([], {});
  assert.ok(restarted);
  assert.equal(startupLimits(restarted.execArgv, restarted.env), undefined);
  assert.equal(startupLimits(["--max-semi-space-size=16"], { ...MALLOC, MALLOC_ARENA_MAX: "8" }), undefined);
  assert.equal(
    startupLimits([], {
      NODE_OPTIONS: "--max-semi-space-size=8",
      GLIBC_TUNABLES: "glibc.malloc.arena_max=4:glibc.malloc.mmap_threshold=65536",
    }),
    undefined,
  );
});

test("the user's own malloc settings are kept while the missing ones are added", () => {
  assert.deepEqual(startupLimits([], { MALLOC_ARENA_MAX: "8" }), {
    execArgv: [`--max-semi-space-size=${SEMI_SPACE_MB}`],
    env: { MALLOC_MMAP_THRESHOLD_: MALLOC.MALLOC_MMAP_THRESHOLD_ },
  });
  assert.deepEqual(
    startupLimits(["--max-semi-space-size=1"], { GLIBC_TUNABLES: "glibc.malloc.arena_max=1" }),
    {
      execArgv: [],
      env: { MALLOC_MMAP_THRESHOLD_: MALLOC.MALLOC_MMAP_THRESHOLD_ },
    },
  );
});

test("only commands that stream a tenant restart, whatever global options come first", () => {
  assert.equal(streamsTenant(["sync", "--full"]), true);
  assert.equal(streamsTenant(["--json", "--config", "sync", "serve"]), true);
  assert.equal(streamsTenant(["--config", "c.json", "watch"]), true);
  assert.equal(streamsTenant(["export", "users"]), false);
  assert.equal(streamsTenant(["--help"]), false);
  assert.equal(streamsTenant([]), false);
});

test("a restart keeps the pid and gives the process the limits in its options and environment", () => {
  const script = [
    `import { restartWithStartupLimits } from ${JSON.stringify(new URL("./heap.ts", import.meta.url).href)};`,
    "const pid = process.env.BEFORE_PID ?? String(process.pid);",
    "if (!process.env.BEFORE_PID) process.env.BEFORE_PID = pid;",
    "restartWithStartupLimits();",
    "console.log(JSON.stringify({ same: pid === String(process.pid), argv: process.execArgv, arenas: process.env.MALLOC_ARENA_MAX, mmap: process.env.MALLOC_MMAP_THRESHOLD_ }));",
  ].join("\n");
  const env = { ...process.env };
  delete env["MALLOC_ARENA_MAX"];
  delete env["MALLOC_MMAP_THRESHOLD_"];
  delete env["GLIBC_TUNABLES"];
  delete env["NODE_OPTIONS"];
  const out = spawnSync(process.execPath, ["--input-type=module", "-e", script], { env, encoding: "utf8" });
  assert.equal(out.status, 0, out.stderr);
  if (typeof process.execve !== "function") return;
  assert.deepEqual(JSON.parse(out.stdout), {
    same: true,
    argv: [`--max-semi-space-size=${SEMI_SPACE_MB}`, "--input-type=module", "-e", script],
    arenas: MALLOC.MALLOC_ARENA_MAX,
    mmap: MALLOC.MALLOC_MMAP_THRESHOLD_,
  });
});
