/**
 * `npx node bench/service-load.ts [--size l] [--clients 16] [--seconds 15]`: many concurrent API
 * clients read resources, single users and a user's access from `serve` (its own process) while a full
 * sync of the emulated tenant (own process, graph-like latency, throttling on) runs in that service.
 * Prints requests/s, p50/p99 latency and errors per kind of read.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Agent, request } from "undici";
import { connectorEnv, spawnEmulator } from "../src/cli/commands/demo.ts";
import { openServiceState, serviceStatePath } from "../src/index.ts";

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
};
const size = arg("size", "l");
const clients = Number(arg("clients", "16"));
const seconds = Number(arg("seconds", "15"));
const CLI = join(import.meta.dirname, "..", "src", "cli", "main.ts");

const quiet = {
  stdout: process.stderr,
  stderr: process.stderr,
  env: process.env,
  signal: new AbortController().signal,
};
const emulator = await spawnEmulator(["--size", size, "--latency", "graph", "--throttle", "on"], quiet);
const dir = mkdtempSync(join(tmpdir(), "entra-service-load-"));
const env = connectorEnv(emulator.info, join(dir, "store.db"), size);
const state = openServiceState(serviceStatePath(dir));
const { token } = await state.createToken({ name: "bench", role: "operator" });
await state.close();

const service = spawn(process.execPath, [CLI, "serve", "--listen", "127.0.0.1:0", "--json"], {
  env: { ...process.env, ...env, ENTRA_LOG_LEVEL: "warn" },
  stdio: ["ignore", "pipe", "inherit"],
});
const url = await new Promise<string>((resolve, reject) => {
  let out = "";
  service.stdout.on("data", (d) => {
    out += d;
    const line = out.split("\n").find((l) => l.startsWith("{"));
    if (line) resolve((JSON.parse(line) as { url: string }).url);
  });
  service.once("exit", (code) => reject(new Error(`serve exited with ${code}`)));
});
const agent = new Agent({ connections: clients + 4 });
const base = `${url}/api/v1/connections/default`;
const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };

async function call(path: string, method: "GET" | "POST" = "GET", body?: unknown) {
  const res = await request(`${base}${path}`, {
    method,
    headers,
    dispatcher: agent,
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.statusCode, body: (await res.body.json()) as Record<string, unknown> };
}

async function syncToEnd(full: boolean): Promise<string> {
  const { body } = await call("/sync", "POST", { full });
  const runId = String(body["runId"]);
  for (;;) {
    const run = (await call(`/runs/${runId}`)).body;
    if (run["status"] !== "queued" && run["status"] !== "running") return String(run["status"]);
    await new Promise((r) => setTimeout(r, 500));
  }
}

process.stderr.write(`loading the ${size} tenant into the service's store…\n`);
const loaded = await syncToEnd(true);
if (loaded !== "succeeded") throw new Error(`the first sync ${loaded}`);
const users = (await call("/resources?kind=user&limit=500")).body["items"] as {
  id: string;
  data: { userPrincipalName: string };
}[];

const kinds = {
  "resources page (50)": () =>
    `/resources?kind=user&limit=50&search=${String.fromCharCode(97 + Math.floor(Math.random() * 26))}`,
  "one user": () => `/resources/user/${users[Math.floor(Math.random() * users.length)]!.id}`,
  "a user's access": () =>
    `/access/${encodeURIComponent(users[Math.floor(Math.random() * users.length)]!.data.userPrincipalName)}`,
};
type Kind = keyof typeof kinds;
const latencies: Record<Kind, number[]> = {
  "resources page (50)": [],
  "one user": [],
  "a user's access": [],
};
const errors: Record<Kind, number> = { "resources page (50)": 0, "one user": 0, "a user's access": 0 };

process.stderr.write(`a full sync runs while ${clients} clients read for ${seconds} s…\n`);
const syncing = syncToEnd(true);
const until = Date.now() + seconds * 1000;
const names = Object.keys(kinds) as Kind[];
await Promise.all(
  Array.from({ length: clients }, async (_, c) => {
    for (let i = c; Date.now() < until; i++) {
      const kind = names[i % names.length]!;
      const start = performance.now();
      try {
        const res = await request(`${base}${kinds[kind]()}`, { headers, dispatcher: agent });
        await res.body.arrayBuffer();
        if (res.statusCode !== 200) errors[kind]++;
      } catch {
        errors[kind]++;
      }
      latencies[kind].push(performance.now() - start);
    }
  }),
);
const syncStatus = await syncing;

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
console.log(`| read | requests | requests/s | p50 | p99 | errors |`);
console.log(`|---|---|---|---|---|---|`);
for (const kind of names) {
  const sorted = [...latencies[kind]].sort((a, b) => a - b);
  console.log(
    `| ${kind} | ${sorted.length} | ${(sorted.length / seconds).toFixed(0)} | ${pct(sorted, 50).toFixed(1)} ms | ${pct(sorted, 99).toFixed(1)} ms | ${errors[kind]} |`,
  );
}
console.log(`size ${size}, ${clients} clients, ${seconds} s; the concurrent full sync ${syncStatus}`);

service.kill("SIGTERM");
await new Promise((r) => service.once("exit", r));
await agent.close();
await emulator.stop();
rmSync(dir, { recursive: true, force: true });
