/**
 * `entra-connector demo` owns its emulator child: killed outright, it leaves no emulator behind; as a
 * service (`--serve`, `npm start`) its one-time link signs in and Ctrl-C stops service and emulator.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";

const main = fileURLToPath(new URL("../src/cli/main.ts", import.meta.url));

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test("demo: SIGKILLed mid-sync, its emulator child stops too", async () => {
  const dir = mkdtempSync(join(tmpdir(), "demo-kill-"));
  const demo = spawn(
    process.execPath,
    [main, "--store", join(dir, "demo.db"), "demo", "--size", "s", "--latency", "none", "--interval", "60s"],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  demo.stderr.resume();
  const lines = createInterface({ input: demo.stdout });
  let emulatorPid: number | undefined;
  try {
    for await (const line of lines) {
      const m = /emulator pid (\d+)/.exec(line);
      if (m) {
        emulatorPid = Number(m[1]);
        break;
      }
    }
    assert.ok(emulatorPid && alive(emulatorPid), "the demo started its emulator");
    const gone = new Promise((resolve) => demo.once("exit", resolve));
    demo.kill("SIGKILL");
    await gone;
    for (let waited = 0; alive(emulatorPid) && waited < 10_000; waited += 50) await sleep(50);
    assert.equal(alive(emulatorPid), false, "the emulator outlived the demo");
  } finally {
    lines.close();
    if (demo.exitCode === null && demo.signalCode === null) demo.kill("SIGKILL");
    if (emulatorPid && alive(emulatorPid)) process.kill(emulatorPid, "SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  }
});

test("demo --serve (npm start): the console's one-time link signs in as admin; Ctrl-C stops the service and its emulator", async () => {
  const demo = spawn(
    process.execPath,
    [main, "demo", "--serve", "--size", "s", "--latency", "none", "--interval", "60s"],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  demo.stderr.resume();
  const lines = createInterface({ input: demo.stdout });
  const seen: Record<string, string> = {};
  try {
    for await (const line of lines) {
      const pid = /emulator pid (\d+)/.exec(line);
      if (pid) seen["pid"] = pid[1]!;
      const link = /one-time link.*: (http\S+)/.exec(line);
      if (link) seen["link"] = link[1]!;
      if (/^ {2}sync \w+ succeeded/.test(line)) break;
    }
    assert.ok(seen["link"] && seen["pid"], JSON.stringify(seen));
    const opened = await fetch(seen["link"]!, { redirect: "manual" });
    assert.equal(opened.status, 303);
    assert.equal(opened.headers.get("location"), "/console/");
    const cookie = (opened.headers.get("set-cookie") ?? "").split(";")[0]!;
    const session = await fetch(new URL("/api/v1/session", seen["link"]), { headers: { cookie } });
    assert.equal(((await session.json()) as { role: string }).role, "admin");
    const connections = await fetch(new URL("/api/v1/connections", seen["link"]), { headers: { cookie } });
    const [connection] = ((await connections.json()) as { items: { status: string; schedule: string }[] })
      .items;
    assert.equal(connection?.status, "connected");
    assert.equal(connection?.schedule, "every 60s");
    const exited = new Promise<number | null>((resolve) => demo.once("exit", (code) => resolve(code)));
    demo.kill("SIGINT");
    assert.equal(await exited, 0);
    const emulatorPid = Number(seen["pid"]);
    for (let waited = 0; alive(emulatorPid) && waited < 10_000; waited += 50) await sleep(50);
    assert.equal(alive(emulatorPid), false, "the emulator outlived the demo");
  } finally {
    lines.close();
    if (demo.exitCode === null && demo.signalCode === null) demo.kill("SIGKILL");
  }
});
