/**
 * `node bench/mapping.ts [--users 20000] [--runs 3] [--lookups]` (also the last step of `npm run bench`): a mapping
 * pushes every user of a store into the emulator's SCIM service (SCIMMY), first in full, then after 1% of
 * the users changed (incremental), `--runs` times over from an empty service. Each run is its own process
 * (`--child`), so its peak RSS is its own. Prints records/s, the target's requests and peak RSS per run,
 * and the medians. `--lookups` hides the target's listing, so full runs look up each user as a target
 * that cannot list makes them.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadMapping, openStore, openTarget, runMapping } from "../src/index.ts";
import { startScimServer } from "../test/support/scim-server.ts";

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
};

/** The documented example's attributes over every enabled user, pushed without the target's default pacing. */
const MAPPING = `name: bench
source:
  users:
    filter: [[{ property: accountEnabled, operator: IS TRUE }]]
match: [userName]
attributes:
  userName: "ToLower(Coalesce([mail], [userPrincipalName]))"
  name.givenName: "[givenName]"
  name.familyName: "[surname]"
  displayName: "[displayName]"
  active: "[accountEnabled]"
  externalId: "[id]"
target:
  type: scim
  url: \${BENCH_SCIM_URL}
  token: \${BENCH_SCIM_TOKEN}
`;

if (process.argv.includes("--child")) {
  // One run, measured from inside: the parent reads this process's one JSON line.
  const store = await openStore(arg("store", ""), { mustExist: true });
  const mapping = await loadMapping(arg("mapping", ""));
  const opened = openTarget(mapping, { scim: { concurrency: 8, ratePerSecond: 100_000 } });
  // `--lookups`: the target as one that cannot list, so a full run looks up each user (for comparison).
  const target = process.argv.includes("--lookups")
    ? (Object.create(opened, { list: { value: undefined } }) as typeof opened)
    : opened;
  const started = performance.now();
  const report = await runMapping({ mapping, store, target, concurrency: 8, batchSize: 500 });
  const wallMs = performance.now() - started;
  await target.close();
  await store.close();
  const records = Object.entries(report.counts)
    .filter(([key]) => !key.startsWith("skip."))
    .reduce((sum, [, n]) => sum + n, 0);
  process.stdout.write(
    `${JSON.stringify({ kind: report.kind, wallMs, records, users: report.users, counts: report.counts, maxRssMb: process.resourceUsage().maxRSS / 1024 })}\n`,
  );
  process.exit(0);
}

const count = Number(arg("users", "20000"));
const runs = Number(arg("runs", "1"));
const scim = await startScimServer();
const rows: Record<string, unknown>[][] = [];
try {
  for (let r = 0; r < runs; r++) {
    scim.reset();
    rows.push(await measureBoth());
  }
} finally {
  await scim.close();
}

/** One full run into an empty service, then one incremental run after 1% changed. */
async function measureBoth(): Promise<Record<string, unknown>[]> {
  const dir = mkdtempSync(join(tmpdir(), "bench-mapping-"));
  try {
    const storePath = join(dir, "store.db");
    const store = await openStore(storePath);
    const run = await store.runs.start({ kind: "full", tenantId: "bench" });
    const user = (i: number, extra: Record<string, unknown> = {}) => ({
      kind: "user" as const,
      id: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
      data: {
        id: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
        userPrincipalName: `user${i}@contoso.test`,
        mail: `User${i}@contoso.test`,
        givenName: `Given${i}`,
        surname: `Surname${i}`,
        displayName: `User ${i}`,
        accountEnabled: true,
        ...extra,
      },
    });
    for (let i = 0; i < count; i += 1000) {
      const upserts = Array.from({ length: Math.min(1000, count - i) }, (_, j) => user(i + j));
      await store.sync.applyPage({ runId: run.id, stream: "users", upserts });
    }
    await store.runs.finish(run.id, { status: "succeeded" });
    const mappingFile = join(dir, "bench.yaml");
    writeFileSync(mappingFile, MAPPING);
    const env = { ...process.env, BENCH_SCIM_URL: scim.url, BENCH_SCIM_TOKEN: scim.token };

    const measure = (): Promise<Record<string, unknown>> =>
      new Promise((resolve, reject) => {
        const before = scim.requests.length;
        const child = spawn(
          process.execPath,
          [
            import.meta.filename,
            "--child",
            "--store",
            storePath,
            "--mapping",
            mappingFile,
            ...(process.argv.includes("--lookups") ? ["--lookups"] : []),
          ],
          { env, stdio: ["ignore", "pipe", "inherit"] },
        );
        let out = "";
        child.stdout.on("data", (d) => {
          out += d;
        });
        child.once("error", reject);
        child.once("exit", (code) => {
          if (code !== 0) return reject(new Error(`the mapping run exited with ${code}`));
          resolve({ ...JSON.parse(out), requests: scim.requests.length - before });
        });
      });

    const full = await measure();
    // 1% of the users change their display name, as a sync would record it.
    const changed = await store.runs.start({ kind: "incremental", tenantId: "bench" });
    const upserts = Array.from({ length: Math.round(count / 100) }, (_, k) =>
      user(k * 100, { displayName: `Renamed ${k}` }),
    );
    await store.sync.applyPage({ runId: changed.id, stream: "users", upserts });
    await store.runs.finish(changed.id, { status: "succeeded" });
    await store.close();
    const incremental = await measure();

    return [full, incremental];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const row = (m: Record<string, unknown>) =>
  [
    m["kind"],
    m["users"],
    m["records"],
    m["requests"],
    ((m["wallMs"] as number) / 1000).toFixed(1),
    ((m["records"] as number) / ((m["wallMs"] as number) / 1000)).toFixed(0),
    (m["maxRssMb"] as number).toFixed(0),
  ].join(" | ");
const medianOf = (i: number) => {
  const all = rows.map((pair) => pair[i]!);
  const num = (key: string) => median(all.map((m) => m[key] as number));
  return {
    kind: `${all[0]!["kind"]} (median of ${all.length})`,
    users: num("users"),
    records: num("records"),
    requests: num("requests"),
    wallMs: num("wallMs"),
    maxRssMb: num("maxRssMb"),
  };
};
process.stdout.write(
  `\nmapping run: ${count} users into the emulator's SCIM service (SCIMMY), concurrency 8, no pacing\n` +
    "run | users looked at | records written | target requests | wall s | records/s | peak RSS MB\n" +
    "---|---|---|---|---|---|---\n" +
    `${rows.flatMap((pair) => pair.map(row)).join("\n")}\n` +
    (runs > 1 ? `${row(medianOf(0))}\n${row(medianOf(1))}\n` : ""),
);
