/**
 * Store throughput at the xl shape: 100k users, 10k groups, 1M memberships, written as a sync would
 * (pages of ~1,000 in one transaction each), then re-applied unchanged in a full-resync round, then
 * queried and exported. Run: `npx node bench/store-bulk.ts [users] [memberships] [postgres://…]`; with a
 * PostgreSQL URL the store is a new schema there, dropped at the end.
 */
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openStore } from "../src/store/index.ts";
import type { PostgresStore } from "../src/store/postgres/store.ts";
import type { Edge, Resource } from "../src/store/types.ts";

const USERS = Number(process.argv[2] ?? 100_000);
const MEMBERSHIPS = Number(process.argv[3] ?? 1_000_000);
const GROUPS = Math.max(1, Math.round(USERS / 10));
const PAGE = 1000;

const id = (prefix: string, n: number): string =>
  `${prefix}${n.toString(16).padStart(7, "0")}-0000-4000-8000-000000000000`;

function userObject(n: number): Resource {
  const uid = id("u", n);
  return {
    kind: "user",
    id: uid,
    data: {
      id: uid,
      displayName: `User ${n}`,
      givenName: "Given",
      surname: `Surname${n}`,
      userPrincipalName: `user${n}@contoso.onmicrosoft.com`,
      mail: `user${n}@contoso.com`,
      jobTitle: "Engineer",
      department: `Dept ${n % 50}`,
      accountEnabled: true,
      userType: "Member",
      usageLocation: "US",
      employeeId: String(n),
      onPremisesSyncEnabled: null,
      createdDateTime: "2024-01-01T00:00:00Z",
      assignedLicenses: [{ skuId: "c7df2760-2c81-4ef7-b578-5b5392b571df", disabledPlans: [] }],
      businessPhones: ["+1 555 0100"],
    },
  };
}

const dir = mkdtempSync(join(tmpdir(), "entra-bench-"));
const server = process.argv[4];
const schema = `bench_bulk_${process.pid}`;
const path = server ? `${server}${server.includes("?") ? "&" : "?"}schema=${schema}` : join(dir, "bench.db");
const store = await openStore(path);
const run = await store.runs.start({ kind: "full", tenantId: "bench" });

/** Wall-clock rate, and the rate per CPU-second of this process (steadier on a shared machine). */
async function timed(label: string, rows: number, work: () => Promise<void>): Promise<void> {
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  await work();
  const s = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  const cpuS = (cpu.user + cpu.system) / 1e6;
  const rate = (n: number) => Math.round(n).toLocaleString("en-US").padStart(10);
  console.log(
    `${label.padEnd(42)} ${String(rows).padStart(8)} rows ${s.toFixed(2).padStart(6)} s ${rate(rows / s)} rows/s` +
      ` ${rate(rows / cpuS)} rows/cpu-s  rss ${Math.round(process.memoryUsage().rss / 1e6)} MB`,
  );
}

async function loadUsers(round?: number): Promise<void> {
  for (let start = 0; start < USERS; start += PAGE) {
    const upserts: Resource[] = [];
    for (let n = start; n < Math.min(USERS, start + PAGE); n++) upserts.push(userObject(n));
    await store.sync.applyPage({
      runId: run.id,
      stream: "users",
      upserts,
      checkpoint: { version: 1, data: { n: start } },
      ...(round ? { round } : {}),
    });
  }
}

async function loadMemberships(round?: number): Promise<void> {
  for (let start = 0; start < MEMBERSHIPS; start += PAGE) {
    const add: Edge[] = [];
    // Group by group, as Graph delivers members; each user lands in MEMBERSHIPS/USERS distinct groups.
    const perGroup = MEMBERSHIPS / GROUPS;
    for (let n = start; n < Math.min(MEMBERSHIPS, start + PAGE); n++) {
      const group = Math.floor(n / perGroup);
      const user = (group * 10 + (n % perGroup) * 1009) % USERS;
      add.push({
        relation: "group:member",
        objectId: id("g", group),
        principalId: id("u", user),
        principalType: "user",
      });
    }
    await store.sync.applyPage({
      runId: run.id,
      stream: "groups",
      edges: { add },
      ...(round ? { round } : {}),
    });
  }
}

await timed("users: created (1 event each)", USERS, () => loadUsers());
await timed("memberships: added (1 event each)", MEMBERSHIPS, () => loadMemberships());
const round = await store.sync.newRound();
await timed("users: unchanged, full-resync round", USERS, () => loadUsers(round));
await timed("memberships: unchanged, full-resync round", MEMBERSHIPS, () => loadMemberships(round));
let exported = 0;
await timed("export memberships (streamed)", MEMBERSHIPS, async () => {
  for await (const _ of store.query.export("memberships")) exported++;
});
let grants = 0;
await timed("access for 1,000 users", 1000, async () => {
  for (let n = 0; n < 1000; n++) grants += (await store.query.grants({ principalId: id("u", n) })).length;
});
const size = server
  ? `schema ${Math.round(Number((await (store as PostgresStore).db.query<{ n: number }>("SELECT sum(pg_total_relation_size(c.oid))::bigint AS n FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace WHERE s.nspname = $1 AND c.relkind = 'r'", [schema]))[0]?.n ?? 0) / 1e6)} MB`
  : `file ${(statSync(path).size / 1e6).toFixed(0)} MB`;
console.log(
  `exported ${exported}, grants ${grants}, ${size}, peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`,
);
if (server) await (store as PostgresStore).db.query(`DROP SCHEMA ${schema} CASCADE`);
await store.close();
rmSync(dir, { recursive: true, force: true });
