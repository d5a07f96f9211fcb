/** The command line as a newcomer meets it: --version, help that shows every flag a command takes. */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { runCli } from "../src/cli/program.ts";
import { textSink } from "./connection-support.ts";

async function cli(...argv: string[]) {
  const out = textSink();
  const err = textSink();
  const code = await runCli(argv, {
    stdout: out.stream,
    stderr: err.stream,
    env: {},
    signal: new AbortController().signal,
  });
  return { code, out: out.text(), err: err.text() };
}

test("--version prints package.json's version", async () => {
  const { version } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
    version: string;
  };
  for (const flag of ["--version", "-V"]) {
    const r = await cli(flag);
    assert.equal(r.code, 0);
    assert.equal(r.out, `${version}\n`);
  }
});

test("every command that takes --json shows it in its help", async () => {
  for (const command of [
    "sync",
    "check",
    "login",
    "runs",
    "resources",
    "access",
    "grants",
    "diff",
    "actions",
  ]) {
    const r = await cli(command, "--help");
    assert.equal(r.code, 0, command);
    assert.match(r.out, /^\s+--json\s/m, `${command} --help shows --json`);
  }
});

test("every duration flag takes one syntax, with a minimum and Node's longest timer as limits", async () => {
  const refusals: [string[], RegExp][] = [
    [["watch", "--interval", "30d"], /--interval: "30d" is longer than the maximum, 24d/],
    [["watch", "--interval", "1ms"], /--interval: "1ms" is shorter than the minimum, 1s/],
    [["watch", "--interval", "3"], /--interval: "3" has no unit; write e\.g\. 3s/],
    [["watch", "--app-assignments-every", "often"], /--app-assignments-every: "often" is not a duration/],
    [["watch", "--webhook-timeout", "10ms"], /--webhook-timeout: "10ms" is shorter than the minimum, 100ms/],
    [["watch", "--retry-max", "25d"], /--retry-max: "25d" is longer than the maximum, 24d/],
    [["demo", "--interval", "5"], /--interval: "5" has no unit/],
    [["demo", "--interval", "30d"], /--interval: "30d" is longer than the maximum, 24d/],
  ];
  for (const [argv, message] of refusals) {
    const r = await cli(...argv);
    assert.equal(r.code, 2, argv.join(" "));
    assert.match(r.err, message, argv.join(" "));
  }
});
