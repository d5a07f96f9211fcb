import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createInterface } from "node:readline";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { CliUsageError, optionsFromFlags } from "./cli-options.ts";

const bin = fileURLToPath(new URL("../bin/graph-emulator.js", import.meta.url));

describe("emulator CLI flags", () => {
  it("maps flags to options", () => {
    assert.deepEqual(
      optionsFromFlags({
        port: "0",
        size: "xl",
        seed: "42",
        latency: "graph",
        throttle: "on",
        faultRate: "0.05",
        permissions: "User.Read.All,Group.Read.All",
        http: true,
        users: "500",
      }),
      {
        port: 0,
        size: "xl",
        seed: 42,
        latency: "graph",
        throttle: true,
        faultRate: 0.05,
        permissions: "User.Read.All,Group.Read.All",
        http: true,
        counts: { users: 500 },
      },
    );
  });

  it("names the flag and what it accepts when a value is wrong", () => {
    const cases: [Parameters<typeof optionsFromFlags>[0], RegExp][] = [
      [{ size: "huge" }, /--size must be one of s, m, l, xl/],
      [{ port: "70000" }, /--port must be a whole number from 0 to 65535/],
      [{ faultRate: "2" }, /--fault-rate must be a number from 0 to 1/],
      [{ throttle: "yes" }, /--throttle must be "on" or "off"/],
      [{ latency: "slow" }, /--latency must be "none" or "graph"/],
      [{ permissions: "User.Read.All;DROP" }, /--permissions must be/],
      [{ seed: "-1" }, /--seed must be a whole number/],
    ];
    for (const [flags, message] of cases) {
      assert.throws(
        () => optionsFromFlags(flags),
        (e: unknown) => e instanceof CliUsageError && message.test(e.message),
      );
    }
  });
});

describe("emulator CLI process", () => {
  it("prints one JSON line on stdout, logs to stderr, and stops cleanly on SIGTERM", async () => {
    const child = spawn(process.execPath, [bin, "--size", "s", "--seed", "3"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const lines: string[] = [];
    const reader = createInterface({ input: child.stdout });
    reader.on("line", (line) => lines.push(line));
    const first = await new Promise<string>((resolve) => reader.once("line", resolve));
    const info = JSON.parse(first) as Record<string, string>;
    assert.deepEqual(Object.keys(info), [
      "authorityHost",
      "tenantId",
      "authority",
      "graphBaseUrl",
      "clientId",
      "clientSecret",
      "caFile",
      "controlUrl",
    ]);
    assert.match(info["authorityHost"] as string, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.ok(existsSync(info["caFile"] as string));
    const exit = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    child.kill("SIGTERM");
    assert.equal(await exit, 0);
    assert.equal(lines.length, 1, "nothing else on stdout");
    assert.match(stderr, /listening on https:\/\/127\.0\.0\.1/);
    assert.doesNotMatch(stderr, new RegExp(info["clientSecret"] as string), "the secret is not logged");
    assert.equal(existsSync(info["caFile"] as string), false, "its temporary files are removed");
  });

  it("exits 2 with a clear message for a bad flag", async () => {
    const child = spawn(process.execPath, [bin, "--size", "huge"], { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.once("exit", (c) => resolve(c)));
    assert.equal(code, 2);
    assert.match(stderr, /--size must be one of s, m, l, xl \(got "huge"\)/);
  });
});
