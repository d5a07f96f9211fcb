/**
 * `npm run bench [-- --sizes l,xl --runs 3 --store postgres://…]`: full and 1%-change incremental syncs against the
 * emulator (own process, graph-like latency, throttling on), each sync in its own process.
 * Prints requests, RU, wall time, peak RSS and objects/s beside the read budget's bound: RU spent ÷ the
 * read budget (8,000 RU per 10 s), and beside this machine's: the CPU the sync and the emulator spent
 * during it ÷ the cores (both share them here, so a run cannot end sooner). (Lists of users long enough
 * to chain are read in partitions side by side, so no chain of dependent pages sets a bound of its own.)
 * Then, on the same emulator and as many times, the per-object pattern (bench/per-object.ts) reads the
 * same data, and a second table sets its requests, RU, wall time and peak RSS beside our full sync's
 * (`--skip-per-object` leaves it out).
 * Last, bench/mapping.ts pushes 20,000 users into a local SCIM service (`--skip-mapping` leaves it out).
 * `--expand-page-cap 100` makes the emulator page lists with
 * `$expand` at 100 objects, as some tenants are reported to.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { Agent } from "undici";
import { connectorEnv, mutate, spawnEmulator } from "../src/cli/commands/demo.ts";
import { budgetRuPerMs, COUNTS } from "./bound.ts";

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
};
const sizes = arg("sizes", "l,xl").split(",");
const runs = Number(arg("runs", "3"));
/** V8 flags for the measured sync process, e.g. `--node-flags=--max-old-space-size=128` (default: none). */
const nodeFlags = arg("node-flags", "").split(" ").filter(Boolean);
const verbose = process.argv.includes("--verbose");
const perObject = !process.argv.includes("--skip-per-object");
/** `--store postgres://…`: sync into PostgreSQL instead of a SQLite file, each run in a new schema dropped after it. */
const storeUrl = arg("store", "");
/** `--partition-users-from N`: users at which a full load lists them in partitions (a huge N: never). */
const partitionUsersFrom = arg("partition-users-from", "");

/** Where run `r` stores: a new SQLite file in `dir`, or a new schema on the `--store` server. */
function runStore(dir: string, r: number): string {
  if (!storeUrl) return join(dir, "bench.db");
  const url = new URL(storeUrl);
  url.searchParams.set("schema", `bench_${process.pid}_${r}`);
  return url.href;
}

async function dropRunStore(r: number): Promise<void> {
  if (!storeUrl) return;
  const url = new URL(storeUrl);
  url.searchParams.delete("schema");
  const client = new pg.Client({ connectionString: url.href });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS bench_${process.pid}_${r} CASCADE`);
  await client.end();
}
/** Page size Graph is reported to cut lists with `$expand` to (e.g. 100); default: `$top` honoured. */
const expandPageCap = Number(arg("expand-page-cap", "0"));

interface Measured {
  wallMs: number;
  cpuMs: number;
  /** The emulator's CPU time during the run. */
  emulatorCpuMs: number;
  maxRssMb: number;
  status: string;
  objects: number;
  changes: number;
  requests: number;
  /** Round trips on the wire: a `$batch` envelope is one, however many requests it carries. */
  httpRequests: number;
  ru: number;
  throttled: number;
}

async function stats(
  controlUrl: string,
  dispatcher: Agent,
): Promise<{ requests: number; ru: number; throttled: number }> {
  const res = await fetch(`${controlUrl}/stats`, { dispatcher } as RequestInit);
  return (await res.json()) as { requests: number; ru: number; throttled: number };
}

type Run = "full" | "incremental" | "per-object";

type ChildLine = Omit<Measured, "requests" | "httpRequests" | "ru" | "throttled" | "emulatorCpuMs"> & {
  /** Per-object: counted by the script; our sync: its client's count. */
  httpRequests?: number;
  client?: { requests: number };
};

function child(env: NodeJS.ProcessEnv, run: Run): Promise<ChildLine> {
  const args =
    run === "per-object"
      ? [join(import.meta.dirname, "per-object.ts")]
      : [
          ...nodeFlags,
          join(import.meta.dirname, "sync-child.ts"),
          ...(run === "full" ? ["--full"] : []),
          ...(partitionUsersFrom ? ["--partition-users-from", partitionUsersFrom] : []),
        ];
  return new Promise((done, fail) => {
    const p = spawn(process.execPath, args, { env, stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    p.stdout.on("data", (d) => {
      out += d;
    });
    p.on("exit", (code) => {
      if (code !== 0) return fail(new Error(`${run} run exited ${code}`));
      const line = out.trim().split("\n").pop() as string;
      // Where the memory and the time went (peak RSS, heap…; main-thread GC; each stream's phases), per sync: `--verbose`.
      if (verbose && run !== "per-object") {
        const { peakMb, gcMs, timeline } = JSON.parse(line);
        process.stderr.write(`${JSON.stringify({ peakMb, gcMs: Math.round(gcMs), timeline })}\n`);
      }
      done(JSON.parse(line));
    });
  });
}

/**
 * CPU seconds a process has used so far (Linux: /proc; NaN elsewhere). The emulator serves Graph's
 * side on the same cores, so what it spends during a sync counts against the machine's bound.
 */
function cpuSecondsOf(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

async function measure(
  env: NodeJS.ProcessEnv,
  run: Run,
  controlUrl: string,
  d: Agent,
  emulatorPid: number | undefined,
): Promise<Measured> {
  const before = await stats(controlUrl, d);
  const emulatorBefore = cpuSecondsOf(emulatorPid);
  const r = await child(env, run);
  const after = await stats(controlUrl, d);
  return {
    ...r,
    emulatorCpuMs: (cpuSecondsOf(emulatorPid) - emulatorBefore) * 1000,
    requests: after.requests - before.requests,
    httpRequests: r.httpRequests ?? r.client?.requests ?? Number.NaN,
    ru: after.ru - before.ru,
    throttled: after.throttled - before.throttled,
  };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2
    ? (s[(s.length - 1) / 2] as number)
    : ((s[s.length / 2 - 1] as number) + (s[s.length / 2] as number)) / 2;
};

/** Our full sync's medians beside the per-object pattern's, one row per measure. */
function compare(size: string, ours: Measured[], theirs: Measured[]): string[] {
  const measures: [string, (m: Measured) => number, number][] = [
    ["requests (as Graph counts them)", (m) => m.requests, 0],
    ["HTTP round trips", (m) => m.httpRequests, 0],
    ["RU", (m) => m.ru, 0],
    ["throttled", (m) => m.throttled, 0],
    ["wall s", (m) => m.wallMs / 1000, 1],
    ["CPU s", (m) => m.cpuMs / 1000, 1],
    ["peak RSS MB", (m) => m.maxRssMb, 0],
  ];
  return measures.map(([label, of, digits]) => {
    const a = median(ours.map(of));
    const b = median(theirs.map(of));
    return [size, label, a.toFixed(digits), b.toFixed(digits), b ? (a / b).toFixed(2) : "–"].join(" | ");
  });
}

const rows: string[] = [];
const comparison: string[] = [];
for (const size of sizes) {
  const emulator = await spawnEmulator(
    ["--port", "0", "--size", size, "--seed", "1", "--latency", "graph", "--throttle", "on"],
    {
      stdout: process.stdout,
      stderr: process.stderr,
      env: process.env,
      signal: new AbortController().signal,
    },
  );
  const d = new Agent({ connect: { ca: readFileSync(emulator.info.caFile, "utf8") } });
  if (expandPageCap > 0) {
    await fetch(`${emulator.info.controlUrl}/faults`, {
      method: "POST",
      body: JSON.stringify({ expandPageCap }),
      dispatcher: d,
    } as RequestInit);
  }
  const fulls: Measured[] = [];
  const incs: Measured[] = [];
  const perObjects: Measured[] = [];
  try {
    for (let r = 0; r < runs; r++) {
      const dir = mkdtempSync(join(tmpdir(), "entra-bench-"));
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        ...connectorEnv(emulator.info, runStore(dir, r), size),
        ENTRA_LOG_LEVEL: "silent",
      };
      fulls.push(await measure(env, "full", emulator.info.controlUrl, d, emulator.child.pid));
      const changes = Math.round(((COUNTS[size]?.users ?? 100) + (COUNTS[size]?.groups ?? 0)) / 100);
      await mutate(emulator.info.controlUrl, d, changes, 1000 + r);
      incs.push(await measure(env, "incremental", emulator.info.controlUrl, d, emulator.child.pid));
      rmSync(dir, { recursive: true, force: true });
      await dropRunStore(r);
      process.stderr.write(
        `${size} run ${r + 1}/${runs}: full ${(fulls.at(-1)!.wallMs / 1000).toFixed(1)} s, incremental ${(incs.at(-1)!.wallMs / 1000).toFixed(1)} s\n`,
      );
    }
    for (let r = 0; perObject && r < runs; r++) {
      const env: NodeJS.ProcessEnv = { ...process.env, ...connectorEnv(emulator.info, "", size) };
      perObjects.push(await measure(env, "per-object", emulator.info.controlUrl, d, emulator.child.pid));
      process.stderr.write(
        `${size} per-object run ${r + 1}/${runs}: ${(perObjects.at(-1)!.wallMs / 1000).toFixed(1)} s\n`,
      );
    }
  } finally {
    await d.close();
    await emulator.stop();
  }
  for (const [label, ms] of [["full", fulls] as const, ["incremental 1%", incs] as const]) {
    const wall = median(ms.map((m) => m.wallMs));
    const ru = median(ms.map((m) => m.ru));
    const objects = median(ms.map((m) => m.objects));
    const bound = ru / budgetRuPerMs(size);
    // The machine's own bound: the CPU both processes spent, spread over every core at once.
    const cpuBound = median(ms.map((m) => m.cpuMs + m.emulatorCpuMs)) / availableParallelism();
    rows.push(
      [
        size,
        label,
        median(ms.map((m) => m.requests)).toFixed(0),
        ru.toFixed(0),
        median(ms.map((m) => m.throttled)).toFixed(0),
        (wall / 1000).toFixed(1),
        (median(ms.map((m) => m.cpuMs)) / 1000).toFixed(1),
        median(ms.map((m) => m.maxRssMb)).toFixed(0),
        (objects / (wall / 1000)).toFixed(0),
        (bound / 1000).toFixed(1),
        (wall / bound).toFixed(2),
        (median(ms.map((m) => m.emulatorCpuMs)) / 1000).toFixed(1),
        (cpuBound / 1000).toFixed(1),
        (wall / Math.max(bound, cpuBound)).toFixed(2),
        median(ms.map((m) => m.changes)).toFixed(0),
      ].join(" | "),
    );
  }
  if (perObjects.length) comparison.push(...compare(size, fulls, perObjects));
}

process.stdout.write(
  `\nmedians of ${runs} run(s); latency graph, throttling on${expandPageCap > 0 ? `, pages with $expand cut to ${expandPageCap}` : ""}; sync heap sized as the CLI sizes it (src/cli/heap.ts); extra node flags: ${nodeFlags.join(" ") || "none"}\n` +
    "size | sync | requests | RU | throttled | wall s | CPU s | peak RSS MB | objects/s | RU bound s | wall/RU bound | emulator CPU s | CPU bound s | wall/larger bound | change events\n" +
    "---|---|---|---|---|---|---|---|---|---|---|---|---|---|---\n" +
    rows.map((r) => `${r}\n`).join(""),
);
if (comparison.length) {
  process.stdout.write(
    "\nour full sync beside the per-object pattern (bench/per-object.ts) on the same emulator, medians\n" +
      "size | measure | ours | per-object | ours ÷ per-object\n" +
      "---|---|---|---|---\n" +
      comparison.map((r) => `${r}\n`).join(""),
  );
}

// Last, the mapping benchmark (bench/mapping.ts): 20,000 users pushed into a local SCIM service.
if (!process.argv.includes("--skip-mapping")) {
  await new Promise<void>((resolve, reject) => {
    const p = spawn(process.execPath, [join(import.meta.dirname, "mapping.ts")], { stdio: "inherit" });
    p.once("error", reject);
    p.once("exit", (code) =>
      code === 0 ? resolve() : reject(new Error(`bench/mapping.ts exited with ${code}`)),
    );
  });
}
