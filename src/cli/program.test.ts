import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { test } from "node:test";
import { createError } from "../index.ts";
import type { CommandSpec } from "./command.ts";
import { runCli } from "./program.ts";

function io() {
  const out = { stdout: "", stderr: "" };
  const sink = (key: "stdout" | "stderr") =>
    new Writable({
      write(chunk, _e, cb) {
        out[key] += chunk.toString();
        cb();
      },
    });
  return {
    out,
    io: { stdout: sink("stdout"), stderr: sink("stderr"), env: {}, signal: new AbortController().signal },
  };
}

const seen: Record<string, unknown>[] = [];
const probe: CommandSpec<Record<string, unknown>> = {
  name: "probe",
  summary: "test command",
  configure: (cmd) => cmd.option("--fail <how>", "config | internal"),
  async run(options) {
    seen.push(options);
    if (options["fail"] === "config")
      throw createError("CONFIG_INVALID", { field: "ENTRA_CLOUD", problem: "must be one of global" });
    if (options["fail"] === "internal") throw new TypeError("boom");
    return 0;
  },
};
const list = [probe as CommandSpec<never>];

test("global and command flags reach run() under the config's own names", async () => {
  const { io: streams } = io();
  assert.equal(
    await runCli(["probe", "--tenant-id", "t.onmicrosoft.com", "--provisioning", "--json"], streams, list),
    0,
  );
  assert.equal(seen.at(-1)?.["tenantId"], "t.onmicrosoft.com");
  assert.equal(seen.at(-1)?.["provisioning"], true);
  assert.equal(seen.at(-1)?.["json"], true);
});

test("exit codes come from the error registry; errors are one line, or JSON with --json", async () => {
  const a = io();
  assert.equal(await runCli(["probe", "--fail", "config"], a.io, list), 2);
  assert.equal(a.out.stderr, "error CONFIG_INVALID: ENTRA_CLOUD: must be one of global\n");
  const b = io();
  assert.equal(await runCli(["probe", "--fail", "config", "--json"], b.io, list), 2);
  assert.equal(b.out.stdout, "");
  assert.equal(JSON.parse(b.out.stderr).error.code, "CONFIG_INVALID");
  const c = io();
  assert.equal(await runCli(["probe", "--fail", "internal"], c.io, list), 1);
  assert.match(c.out.stderr, /^error INTERNAL: Unexpected internal error: boom\n/);
  const d = io();
  assert.equal(await runCli(["probe", "--no-such-flag"], d.io, list), 2);
  assert.match(d.out.stderr, /^error USAGE: unknown option '--no-such-flag'/);
  const e = io();
  assert.equal(await runCli(["--help"], e.io, list), 0);
  assert.match(e.out.stdout, /probe/);
});
