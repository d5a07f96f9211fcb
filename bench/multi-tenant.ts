/**
 * `npx node bench/multi-tenant.ts [--tenants 50] [--every-m 5] [--workers 1,2,4] [--job-concurrency 4]`:
 * many tenants in one deployment. Emulated tenants (size s, every tenth m; graph latency, throttling on)
 * behind one front door (bench/multi-tenant-emulators.ts), each a managed connection of one service
 * state; syncs go through the PostgreSQL queue (ENTRA_TEST_POSTGRES, a schema per run) to 1, 2 and 4
 * `worker` processes. Per worker count: a full sync of every tenant queued at once; the wall time
 * from the queueing to the last sync's end, tenants per minute, the sum of the tenants' bounds
 * (bench/bound.ts) and the wall time ÷ that sum, requests and 429s the emulators counted, and CPU
 * used by the workers, by the emulators and by the whole machine (other jobs included) as a share of its cores.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import { runCli } from "../src/cli/program.ts";
import { connectionDir, createQueueJobs, type Jobs } from "../src/index.ts";
import { boundMs } from "./bound.ts";

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
};
const tenants = Number(arg("tenants", "50"));
const everyM = Number(arg("every-m", "10"));
const workerCounts = arg("workers", "1,2,4").split(",").map(Number);
const jobConcurrency = arg("job-concurrency", "4");
const POSTGRES = process.env["ENTRA_TEST_POSTGRES"] ?? "postgres://postgres@127.0.0.1:5432/test";
const CLI = join(import.meta.dirname, "..", "src", "cli", "main.ts");

interface Tenant {
  tenantId: string;
  clientId: string;
  clientSecret: string;
  size: string;
}
interface Stats {
  cpuMs: number;
  tenants: { tenantId: string; requests: number; ru: number; throttled: number }[];
}

const sizes = Array.from({ length: tenants }, (_, i) => (i % everyM === everyM - 1 ? "m" : "s"));
const host = spawn(
  process.execPath,
  [join(import.meta.dirname, "multi-tenant-emulators.ts"), "--sizes", sizes.join(",")],
  {
    stdio: ["pipe", "pipe", "inherit"],
  },
);
const [line] = (await once(host.stdout!, "data")) as [Buffer];
const front = JSON.parse(String(line)) as { url: string; tenants: Tenant[] };
const stats = async () => (await (await fetch(`${front.url}/_bench/stats`)).json()) as Stats;

/** CPU ms a process has used so far (Linux /proc: user + system ticks at 100 per second). */
function cpuMsOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** CPU ms the whole machine has been busy so far, all cores (Linux /proc/stat, 100 ticks per second). */
function machineBusyMs(): number {
  const [, ...ticks] = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).map(Number);
  const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
  return (ticks.slice(0, 8).reduce((a, b) => a + b, 0) - idle) * 10;
}

const dir = mkdtempSync(join(tmpdir(), "entra-multi-tenant-"));
const env: Record<string, string> = {
  ENTRA_AUTHORITY_HOST: front.url,
  ENTRA_GRAPH_URL: front.url,
  ENTRA_STORE: join(dir, "store.db"),
  ENTRA_LOG_LEVEL: "warn",
  ENTRA_QUEUE: POSTGRES,
  ENTRA_JOB_CONCURRENCY: jobConcurrency,
  ENTRA_LISTEN: "127.0.0.1:0",
};
const rows: string[] = [];
try {
  const ids: string[] = [];
  for (const [i, t] of front.tenants.entries()) {
    const name = `tenant ${String(i + 1).padStart(2, "0")} ${t.size}`;
    const code = await runCli(
      ["connection", "add", "--name", name, "--tenant-id", t.tenantId, "--client-id", t.clientId, "--json"],
      {
        stdout: {
          write: (s: string) => ids.push(JSON.parse(s).connection.id),
        } as unknown as NodeJS.WritableStream,
        stderr: process.stderr,
        env: { ...env, ENTRA_CLIENT_SECRET: t.clientSecret },
        signal: new AbortController().signal,
      } as Parameters<typeof runCli>[1],
    );
    if (code !== 0) throw new Error(`connection add for ${name} exited ${code}`);
  }
  for (const count of workerCounts) {
    const schema = `bench_mt_${process.pid}_${count}`;
    for (const id of ids) rmSync(join(connectionDir(dir, id), "store.db"), { force: true });
    const workers: ChildProcess[] = [];
    let api: Jobs | undefined;
    try {
      api = await createQueueJobs({ connectionString: POSTGRES, schema, handlers: {}, concurrency: 0 });
      const logs: string[] = [];
      for (let w = 0; w < count; w++) {
        const child = spawn(process.execPath, [CLI, "worker"], {
          env: { ...process.env, ...env, ENTRA_QUEUE_SCHEMA: schema },
          stdio: ["ignore", "ignore", "pipe"],
        });
        logs[w] = "";
        child.stderr!.on("data", (d) => {
          logs[w] += d;
        });
        workers.push(child);
      }
      // The workers start together; each is ready once it says what it works.
      while (!logs.every((l) => l.includes("worker working"))) {
        const dead = workers.findIndex((w) => w.exitCode !== null);
        if (dead >= 0) throw new Error(`worker exited ${workers[dead]!.exitCode}: ${logs[dead]}`);
        await sleep(100);
      }
      const before = await stats();
      const cpuBefore = workers.map((w) => cpuMsOf(w.pid!));
      const machineBefore = machineBusyMs();
      const load = loadavg()[0]!;
      const started = Date.now();
      const jobs = await Promise.all(
        ids.map(
          async (connectionId) =>
            (await api!.submit({ kind: "sync", connectionId, input: { full: true } })).job.id,
        ),
      );
      const ended = new Map<string, string>();
      while (ended.size < jobs.length) {
        for (const id of jobs.filter((j) => !ended.has(j))) {
          const job = await api.get(id);
          if (job && job.status !== "queued" && job.status !== "running") ended.set(id, job.status);
        }
        await sleep(200);
      }
      const wallMs = Date.now() - started;
      const after = await stats();
      const machineMs = machineBusyMs() - machineBefore;
      const workerCpuMs = workers.reduce((sum, w, i) => sum + cpuMsOf(w.pid!) - cpuBefore[i]!, 0);
      const failed = [...ended.values()].filter((s) => s !== "succeeded").length;
      let boundSum = 0;
      let requests = 0;
      let throttled = 0;
      for (const [i, t] of after.tenants.entries()) {
        const b = before.tenants[i]!;
        boundSum += boundMs(sizes[i]!, t.ru - b.ru, true);
        requests += t.requests - b.requests;
        throttled += t.throttled - b.throttled;
      }
      const cores = availableParallelism();
      const share = (ms: number) => `${((100 * ms) / wallMs / cores).toFixed(0)}%`;
      rows.push(
        [
          count,
          (wallMs / 1000).toFixed(1),
          ((tenants * 60_000) / wallMs).toFixed(1),
          (boundSum / 1000).toFixed(1),
          (wallMs / boundSum).toFixed(2),
          requests,
          throttled,
          failed,
          share(workerCpuMs),
          share(after.cpuMs - before.cpuMs),
          share(machineMs),
          load.toFixed(1),
        ].join(" | "),
      );
      process.stderr.write(`${count} worker(s): ${(wallMs / 1000).toFixed(1)} s\n`);
    } finally {
      for (const w of workers) w.kill("SIGTERM");
      await Promise.all(workers.map((w) => (w.exitCode === null ? once(w, "exit") : undefined)));
      await api?.close(1000);
      const client = new pg.Client({ connectionString: POSTGRES });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await client.end();
    }
  }
} finally {
  host.stdin!.end();
  await once(host, "exit");
  rmSync(dir, { recursive: true, force: true });
}
const m = sizes.filter((s) => s === "m").length;
process.stdout.write(
  `\n${tenants} tenants (${tenants - m} s, ${m} m; graph latency, throttling on), a full sync of each queued at once; job concurrency ${jobConcurrency} per worker; ${availableParallelism()} cores\n` +
    "workers | wall s | tenants/min | sum of bounds s | wall ÷ sum of bounds | requests | throttled | failed | workers' CPU | emulators' CPU | machine's CPU | load average\n" +
    "---|---|---|---|---|---|---|---|---|---|---|---\n" +
    rows.map((r) => `${r}\n`).join(""),
);
