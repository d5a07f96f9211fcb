/**
 * The crash test for triggers: `watch --out events.jsonl` runs as a child process while the tenant
 * changes, and is SIGKILLed at random moments, again and again; a final `watch --once` completes. The
 * file must then hold exactly the events a clean run derives from the store's outbox after the
 * baseline — nothing lost, nothing twice, in order — and the store must equal the emulator.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { deriveEvents } from "../src/triggers/derive.ts";
import { CLI, random, runCliChild } from "./support/child-process.ts";
import { comparison, type Harness, startHarness } from "./sync-support.ts";

/** App assignments re-read on every poll, so their events are in the mix and the store ends exact. */
const POLL = ["--app-assignments-every", "0"];

function watch(h: Harness, out: string, args: string[]): Promise<{ killed: boolean }> {
  return runCliChild(["watch", "--out", out, ...args], h.env, undefined);
}

/**
 * `watch` SIGKILLed `killAfterMs` after it has started (its lease line on stderr), not after it was
 * spawned: the process's start-up time varies with the machine's load, and a kill before the watch
 * begins would test nothing.
 */
function watchKilled(
  h: Harness,
  out: string,
  args: string[],
  killAfterMs: number,
): Promise<{ killed: boolean }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [CLI, "watch", "--out", out, ...args], {
      env: { ...process.env, ...h.env },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    let timer: NodeJS.Timeout | undefined;
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (d: string) => {
      stderr += d;
      if (timer === undefined && /lease owner /.test(stderr)) {
        timer = setTimeout(() => child.kill("SIGKILL"), killAfterMs);
      }
    });
    child.once("error", fail);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      if (signal !== "SIGKILL" && code !== 0)
        fail(new Error(`watch exited with ${code}: ${stderr.slice(-2000)}`));
      else done({ killed: signal === "SIGKILL" });
    });
  });
}

function fileEvents(path: string): { id: string; seq: number }[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as { id: string; seq: number });
}

test("watch killed at random points 24 times delivers every event exactly once to its file", async () => {
  const h = await startHarness({ size: "s", seed: 21 });
  const rnd = random(21);
  const out = join(h.dir, "events.jsonl");
  try {
    let kills = 0;
    // The baseline, killed while it loads; it fires nothing.
    for (let i = 0; i < 3; i++)
      if ((await watchKilled(h, out, ["--once"], Math.floor(rnd() * 400))).killed) kills++;
    await watch(h, out, ["--once"]);
    assert.deepEqual(fileEvents(out), [], "the baseline fired nothing");
    const baseline = await h.store.outbox.head();
    // The tenant changes while watch polls every 150 ms and is killed at random moments.
    for (let i = 0; i < 24; i++) {
      await h.emu.mutate({ count: 4, seed: 2100 + i });
      const { killed } = await watchKilled(
        h,
        out,
        [...POLL, "--interval", "150ms"],
        Math.floor(rnd() * 1400),
      );
      if (killed) kills++;
    }
    const beforeFinal = fileEvents(out).length;
    assert.ok(beforeFinal > 0, "the killed watchers delivered events themselves");
    await watch(h, out, [...POLL, "--once"]);

    const got = fileEvents(out);
    const ids = got.map((e) => e.id);
    assert.equal(new Set(ids).size, ids.length, "no event twice in the file");
    const expected = (await h.store.outbox.read({ afterSeq: baseline, limit: 1_000_000 }))
      .flatMap(deriveEvents)
      .map((e) => e.id);
    assert.ok(expected.length > 50, `only ${expected.length} events were produced`);
    assert.deepEqual(ids, expected, "the file holds exactly the events of a clean run, in order");
    const compared = await comparison(h.store, (await h.emu.snapshot()) as Record<string, unknown>);
    for (const [kind, { actual, expected: want }] of Object.entries(compared)) {
      assert.deepEqual(actual, want, `${kind} differ from the emulator's snapshot`);
    }
    assert.ok(kills >= 20, `only ${kills} runs were actually killed mid-way`);
  } finally {
    await h.close();
  }
});
