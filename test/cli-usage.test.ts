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
    [["watch", "--interval", "1ms"], /--interval: "1ms" is shorter than the minimum, 100ms/],
    [["watch", "--interval", "3"], /--interval: "3" has no unit; write e\.g\. 3s/],
    [["watch", "--app-assignments-every", "often"], /--app-assignments-every: "often" is not a duration/],
    [["watch", "--webhook-timeout", "5ms"], /--webhook-timeout: "5ms" is shorter than the minimum, 10ms/],
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

test("usage errors, commander's and ours, exit 2 with one line on stderr, or one JSON object there with --json", async () => {
  const cases: [string[], RegExp][] = [
    [["export", "--kind", "widgets"], /^--kind must be one of users/],
    [["sync", "--nope"], /^unknown option '--nope' \(Did you mean --scope\?\)$/],
    [["diff", "1"], /^missing required argument 'runB'$/],
    [["runs", "--limit", "0"], /^--limit must be a positive whole number/],
    [["demo", "--size", "q"], /^--size must be s, m, l or xl/],
    [["emulator", "--bogus"], /^emulator: unknown option '--bogus'$/],
    [["emulator", "--size", "q"], /^emulator: --size must be one of s, m, l, xl/],
    [["nonsense"], /^unknown command 'nonsense'$/],
  ];
  for (const [argv, message] of cases) {
    const text = await cli(...argv);
    assert.equal(text.code, 2, argv.join(" "));
    assert.equal(text.out, "", `${argv.join(" ")}: nothing on stdout`);
    const [first, fix, ...rest] = text.err.split("\n");
    assert.match(first ?? "", /^error USAGE: /, argv.join(" "));
    assert.match((first ?? "").replace(/^error USAGE: /, ""), message, argv.join(" "));
    assert.match(fix ?? "", /^ {2}fix: /);
    assert.deepEqual(rest, [""]);

    const json = await cli(...argv, "--json");
    assert.equal(json.code, 2, `${argv.join(" ")} --json`);
    assert.equal(json.out, "", `${argv.join(" ")} --json: nothing on stdout`);
    const error = JSON.parse(json.err) as { error: { code: string; message: string; exitCode: number } };
    assert.equal(error.error.code, "USAGE");
    assert.equal(error.error.exitCode, 2);
    assert.match(error.error.message, message);
  }
});
