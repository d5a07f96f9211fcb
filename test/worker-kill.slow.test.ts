/**
 * Scale-out under crashes: three `worker` processes share a PostgreSQL queue and one SQLite store; syncs
 * are queued again and again while workers are SIGKILLed at varying moments — the one running the sync
 * among them — and replaced. A killed worker's job goes to another once its claim lapses, and the sync
 * resumes from the store's checkpoint (the store sees at once that the run's process is dead on this
 * host). Afterwards every queued sync has succeeded, nothing reached the dead letters, no object was
 * reported created twice and the store equals the emulator's snapshot. Workers end with SIGTERM, exit 0.
 */
import assert from "node:assert/strict";
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import { createQueueJobs, type Jobs } from "../src/index.ts";
import { CLI, random } from "./support/child-process.ts";
import { comparison, duplicateCreations, type Harness, startHarness } from "./sync-support.ts";

const POSTGRES = process.env["ENTRA_TEST_POSTGRES"] ?? "postgres://postgres@127.0.0.1:5432/test";
const KILLS = 12;

async function until<T>(read: () => Promise<T> | T, ok: (v: T) => boolean, what: string, ms = 90_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

test("workers SIGKILLed in the middle of syncs lose no run, emit nothing twice and leave the store exact", async () => {
  const h: Harness = await startHarness({ size: "m", seed: 31 });
  const schema = `entra_worker_kill_${randomBytes(4).toString("hex")}`;
  const env: NodeJS.ProcessEnv = {
    ...h.env,
    ENTRA_QUEUE: POSTGRES,
    ENTRA_QUEUE_SCHEMA: schema,
    ENTRA_JOB_LEASE: "10s",
    ENTRA_JOB_RETRIES: "40",
    ENTRA_JOB_RETRY_DELAY: "1s",
    ENTRA_JOB_CONCURRENCY: "1",
    ENTRA_LISTEN: "127.0.0.1:0",
    ENTRA_LOG_LEVEL: "warn",
  };
  const workers: ChildProcessWithoutNullStreams[] = [];
  const logs: string[] = [];
  const spawnWorker = () => {
    const child = spawn(process.execPath, [CLI, "worker"], { env: { ...process.env, ...env } });
    child.stderr.on("data", (d) => logs.push(String(d)));
    child.stdout.resume();
    workers.push(child);
  };
  let api: Jobs | undefined;
  // The store's record of which process holds the running sync.
  const runs = new DatabaseSync(join(h.dir, "store.db"), { readOnly: true });
  const holder = () =>
    (runs.prepare("SELECT owner FROM runs WHERE status = 'running'").get() as { owner: string } | undefined)
      ?.owner;
  const holderPid = () => Number(/^(\d+)@/.exec(holder() ?? "")?.[1] ?? 0);
  try {
    await h.emu.setFaults({ latency: "graph" });
    // Submits as `serve --role api` would, with the workers' settings: a job keeps those of its queue.
    api = await createQueueJobs({
      connectionString: POSTGRES,
      schema,
      handlers: {},
      concurrency: 0,
      leaseSeconds: 10,
      retry: { sync: { limit: 40, delaySeconds: 1 } },
    });
    for (let i = 0; i < 3; i++) spawnWorker();
    const rnd = random(31);
    const submitted: string[] = [];
    let kills = 0;
    let holderKills = 0;
    let mutations = 0;
    /** Queues the next sync when none is live, after changes in the tenant more often than not. */
    const ensureSync = async () => {
      if ((await api!.active("default", "sync")) !== undefined) return;
      if (submitted.length > 0 && rnd() < 0.6) await h.emu.mutate({ count: 30, seed: 3100 + mutations++ });
      // The first sync is the full load (killed mid-way too); the rest are incremental over changes.
      const { job } = await api!.submit({ kind: "sync", connectionId: "default", singleton: true });
      submitted.push(job.id);
    };
    /** The live worker writing the store, once a sync has got going (again). */
    const syncingWorker = async () => {
      const pid = await until(
        async () => {
          await ensureSync();
          return holderPid();
        },
        (p) => workers.some((w) => w.pid === p),
        "a worker running a sync",
      );
      return workers.find((w) => w.pid === pid)!;
    };
    // Every third kill is aimed at the worker writing the store; one whose sync ended first is made up for.
    while (kills < KILLS || holderKills < KILLS / 3) {
      await ensureSync();
      const atHolder = kills % 3 === 0 || kills >= KILLS;
      if (atHolder) await syncingWorker();
      await sleep(atHolder ? 100 + rnd() * 700 : 300 + rnd() * 1500);
      const pid = holderPid();
      const running = workers.find((w) => w.pid === pid);
      const others = workers.filter((w) => w !== running);
      const victim = atHolder && running ? running : others[Math.floor(rnd() * others.length)]!;
      victim.kill("SIGKILL");
      await once(victim, "exit");
      workers.splice(workers.indexOf(victim), 1);
      spawnWorker();
      kills++;
      if (victim === running) holderKills++;
    }
    assert.ok(holderKills >= KILLS / 3, `only ${holderKills} kills were of the worker running the sync`);

    // SIGTERM in the middle of a sync: the worker stops at a page boundary and exits 0; another goes on.
    const stopping = await syncingWorker();
    stopping.kill("SIGTERM");
    assert.equal((await once(stopping, "exit"))[0], 0, "SIGTERM stops a worker cleanly mid-sync");
    workers.splice(workers.indexOf(stopping), 1);

    for (const id of submitted) {
      const job = await until(
        () => api!.get(id),
        (j) => j?.status !== "queued" && j?.status !== "running",
        `sync job ${id} to end`,
      );
      assert.equal(job?.status, "succeeded", `job ${id}: ${JSON.stringify(job?.error ?? job?.result)}`);
    }
    const client = new pg.Client({ connectionString: POSTGRES });
    await client.connect();
    const dead = await client.query(`SELECT count(*)::int AS n FROM ${schema}.job WHERE name = 'sync.dead'`);
    await client.end();
    assert.equal(dead.rows[0].n, 0, "no job went to the dead letters");

    const history = await h.store.runs.list({ limit: 1000 });
    assert.equal(history.filter((r) => r.status === "running").length, 0, "no run is left running");
    const resumed = new Set(history.flatMap((r) => r.resumedFrom ?? []));
    const interrupted = history.filter((r) => r.status === "interrupted");
    assert.ok(interrupted.length >= holderKills, "every killed sync left an interrupted run");
    for (const r of interrupted) assert.ok(resumed.has(r.id), `run ${r.number} was resumed by a later run`);
    assert.deepEqual(
      await duplicateCreations(h.store),
      [],
      "no object or relationship was reported created twice",
    );
    const compared = await comparison(h.store, (await h.emu.snapshot()) as Record<string, unknown>);
    for (const [kind, { actual, expected }] of Object.entries(compared)) {
      assert.deepEqual(actual, expected, `${kind} differ from the emulator's snapshot`);
    }
    assert.ok(
      !logs.join("").includes(String(h.env["ENTRA_CLIENT_SECRET"])),
      "the secret is in a worker's log",
    );

    for (const w of workers.splice(0)) {
      w.kill("SIGTERM");
      assert.equal((await once(w, "exit"))[0], 0, "an idle worker stops cleanly on SIGTERM");
    }
  } finally {
    for (const w of workers) w.kill("SIGKILL");
    runs.close();
    await api?.close(1000);
    const client = new pg.Client({ connectionString: POSTGRES });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.end();
    await h.close();
  }
});
