/** `entra-connector demo` owns its emulator child: killed outright, it leaves no emulator behind. */
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
