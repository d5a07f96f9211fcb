/**
 * A run whose process dies never finishes its record; the next run to start marks it `interrupted`
 * (with when that was noticed) and says it resumed from it, while a run another live process is
 * still doing is left `running` and holds the store: a second run is refused until it ends.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { after, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { runCli } from "../src/cli/program.ts";
import { openStore } from "../src/store/index.ts";
import type { RunRecord } from "../src/store/types.ts";
import { textSink } from "./connection-support.ts";
import { CLI } from "./support/child-process.ts";
import { startHarness } from "./sync-support.ts";

const dir = mkdtempSync(join(tmpdir(), "runs-interrupted-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const OPEN_STORE = join(import.meta.dirname, "..", "src", "store", "index.ts");

/** A child process that starts a run in `path` and then stays alive until killed; resolves with the run's id. */
async function childHoldingRun(path: string): Promise<{ child: ChildProcess; runId: string }> {
  const script = `
    const { openStore } = await import(${JSON.stringify(OPEN_STORE)});
    const store = await openStore(${JSON.stringify(path)});
    const run = await store.runs.start({ kind: "full", tenantId: "t" });
    process.stdout.write(run.id + "\\n");
    setInterval(() => {}, 60_000);
  `;
  const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const [line] = (await once(child.stdout as NodeJS.ReadableStream, "data")) as [Buffer];
  return { child, runId: line.toString().trim() };
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill("SIGKILL");
  await exited;
}

function rawUpdate(path: string, sql: string, ...params: (string | number | null)[]): void {
  const db = new DatabaseSync(path);
  try {
    db.prepare(sql).run(...params);
  } finally {
    db.close();
  }
}

describe("runs left running by a process that is gone", () => {
  it("a killed process's run is marked interrupted by the next run, which records that it resumed", async () => {
    const path = join(dir, "killed.db");
    const { child, runId } = await childHoldingRun(path);
    await kill(child);
    const store = await openStore(path);
    try {
      assert.equal((await store.runs.get(runId))?.status, "running", "nothing has noticed yet");
      const before = Date.now();
      const next = await store.runs.start({ kind: "incremental", tenantId: "t" });
      const killed = (await store.runs.get(runId)) as RunRecord;
      assert.equal(killed.status, "interrupted");
      assert.ok(
        killed.interruptedAt && Date.parse(killed.interruptedAt) >= before - 1000,
        killed.interruptedAt,
      );
      assert.equal(killed.finishedAt, undefined, "it never finished");
      assert.match(killed.error ?? "", new RegExp(`process ${child.pid} on host .* no longer runs`));
      assert.match(killed.error ?? "", new RegExp(`noticed by run ${next.id}`));
      assert.deepEqual(next.resumedFrom, [runId]);
      // Only once: the run after that has nothing left to resume.
      await store.runs.finish(next.id, { status: "succeeded" });
      const third = await store.runs.start({ kind: "incremental", tenantId: "t" });
      assert.equal(third.resumedFrom, undefined);
    } finally {
      await store.close();
    }
  });

  it("a run another live process is doing stays running, and refuses a second run naming that process", async () => {
    const path = join(dir, "live.db");
    const { child, runId } = await childHoldingRun(path);
    const store = await openStore(path);
    try {
      await assert.rejects(store.runs.start({ kind: "incremental", tenantId: "t" }), (err: Error) => {
        assert.equal((err as { code?: string }).code, "STORE_SYNC_RUNNING");
        assert.match(err.message, new RegExp(`run 1 by process ${child.pid} on host `));
        return true;
      });
      assert.equal((await store.runs.get(runId))?.status, "running");
      assert.equal((await store.runs.list()).length, 1, "the refused run left no record");
    } finally {
      await kill(child);
      await store.close();
    }
  });

  it("a lapsed lease marks a run interrupted wherever its process was; a renewed one is left alone", async () => {
    const path = join(dir, "lease.db");
    const store = await openStore(path);
    try {
      const lapsing = await store.runs.start({ kind: "full", tenantId: "t", leaseMs: 20 });
      await sleep(60);
      const renewed = await store.runs.start({ kind: "full", tenantId: "t", leaseMs: 20 });
      assert.deepEqual(renewed.resumedFrom, [lapsing.id]);
      const lapsed = (await store.runs.get(lapsing.id)) as RunRecord;
      assert.equal(lapsed.status, "interrupted");
      assert.match(lapsed.error ?? "", /stopped renewing its lease, which lapsed at /);
      await sleep(60);
      await store.runs.renew(renewed.id, 60_000);
      await assert.rejects(
        store.runs.start({ kind: "incremental", tenantId: "t" }),
        /STORE_SYNC_RUNNING|Another sync/,
      );
      assert.equal((await store.runs.get(renewed.id))?.status, "running", "renewed in time");
      await store.runs.finish(renewed.id, { status: "succeeded" });

      // Another host's process cannot be looked up: only its lease says whether it still runs.
      const elsewhere = await store.runs.start({ kind: "full", tenantId: "t", leaseMs: 60_000 });
      rawUpdate(path, "UPDATE runs SET owner = ? WHERE id = ?", "4242@another-host#0a1b2c3d", elsewhere.id);
      await assert.rejects(
        store.runs.start({ kind: "incremental", tenantId: "t" }),
        /process 4242 on host another-host/,
      );
      assert.equal((await store.runs.get(elsewhere.id))?.status, "running", "its lease has not lapsed");

      rawUpdate(path, "UPDATE runs SET lease_expires_at = ? WHERE id = ?", Date.now() - 1, elsewhere.id);
      const later = await store.runs.start({ kind: "incremental", tenantId: "t" });
      assert.deepEqual(later.resumedFrom, [elsewhere.id]);
      assert.match(
        (await store.runs.get(elsewhere.id))?.error ?? "",
        /process 4242 on host another-host .*stopped renewing/,
      );
    } finally {
      await store.close();
    }
  });

  it("a run recorded before runs kept a lease is marked interrupted", async () => {
    const path = join(dir, "legacy.db");
    const store = await openStore(path);
    try {
      const old = await store.runs.start({ kind: "full", tenantId: "t" });
      rawUpdate(path, "UPDATE runs SET owner = NULL, lease_expires_at = NULL WHERE id = ?", old.id);
      const next = await store.runs.start({ kind: "incremental", tenantId: "t" });
      assert.deepEqual(next.resumedFrom, [old.id]);
      assert.match((await store.runs.get(old.id))?.error ?? "", /kept no run lease/);
    } finally {
      await store.close();
    }
  });

  it("renew and start refuse a lease that is not a positive number", async () => {
    const store = await openStore(join(dir, "bad-lease.db"));
    try {
      await assert.rejects(store.runs.start({ kind: "full", tenantId: "t", leaseMs: 0 }), /leaseMs/);
      const run = await store.runs.start({ kind: "full", tenantId: "t" });
      await assert.rejects(store.runs.renew(run.id, Number.NaN), /leaseMs/);
    } finally {
      await store.close();
    }
  });
});

describe("a sync killed mid-run", () => {
  it("shows as interrupted in `runs` once the next sync starts, and that sync resumed from it", async () => {
    const h = await startHarness({ size: "m", seed: 31 });
    try {
      const child = spawn(process.execPath, [CLI, "sync"], {
        env: { ...process.env, ...h.env },
        stdio: ["ignore", "ignore", "pipe"],
      });
      let stderr = "";
      child.stderr?.on("data", (d) => {
        stderr += d;
      });
      // Kill it as soon as its run is recorded (and before it can finish).
      let killedRun: RunRecord | undefined;
      for (let i = 0; i < 1000 && !killedRun && child.exitCode === null; i++) {
        killedRun = (await h.store.runs.list({ limit: 1 })).find((r) => r.status === "running");
        if (!killedRun) await sleep(10);
      }
      assert.ok(killedRun, `the child recorded a run before ending: ${stderr.slice(-2000)}`);
      await kill(child);
      const resumed = await h.sync();
      assert.equal(resumed.run.status, "succeeded");
      assert.deepEqual(resumed.run.resumedFrom, [killedRun.id]);

      const out = textSink();
      const err = textSink();
      const code = await runCli(["runs", "--json"], {
        stdout: out.stream,
        stderr: err.stream,
        env: h.env,
        signal: new AbortController().signal,
      });
      assert.equal(code, 0, err.text());
      const runs = JSON.parse(out.text()) as RunRecord[];
      const killed = runs.find((r) => r.id === killedRun.id);
      assert.equal(killed?.status, "interrupted");
      assert.ok(killed?.interruptedAt);
      assert.equal(runs.find((r) => r.id === resumed.run.id)?.status, "succeeded");
    } finally {
      await h.close();
    }
  });
});
