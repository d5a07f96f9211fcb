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

  it("with --exit-with-parent, stops cleanly when its parent is SIGKILLed (stdin closes)", async () => {
    // The parent spawns the emulator with a stdin pipe, hands it its own stdout, and says its pid.
    const parentScript = `
      const { spawn } = require("node:child_process");
      const child = spawn(process.execPath, [${JSON.stringify(bin)}, "--exit-with-parent"], {
        stdio: ["pipe", "inherit", "ignore"],
      });
      process.stdout.write(JSON.stringify({ pid: child.pid }) + "\\n");
      setInterval(() => {}, 1000);
    `;
    const parent = spawn(process.execPath, ["-e", parentScript], { stdio: ["ignore", "pipe", "inherit"] });
    const reader = createInterface({ input: parent.stdout });
    const lines = reader[Symbol.asyncIterator]();
    const { pid } = JSON.parse((await lines.next()).value as string) as { pid: number };
    const info = JSON.parse((await lines.next()).value as string) as { caFile: string };
    assert.ok(existsSync(info.caFile), "the emulator is up");
    const alive = () => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    try {
      const parentGone = new Promise((resolve) => parent.once("exit", resolve));
      parent.kill("SIGKILL");
      await parentGone;
      for (let waited = 0; alive() && waited < 10_000; waited += 50) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.equal(alive(), false, "the emulator outlived its parent");
      assert.equal(existsSync(info.caFile), false, "it closed cleanly (temporary files removed)");
    } finally {
      reader.close();
      parent.stdout.destroy();
      if (alive()) process.kill(pid, "SIGKILL");
    }
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
