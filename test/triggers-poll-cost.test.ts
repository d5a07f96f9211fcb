/**
 * What a watch poll costs: an idle one sends one HTTP request per delta stream (users, groups, apps).
 * What Graph offers no delta for is re-read in as few round trips as it allows: subscribed SKUs in one
 * request, roles' three collections in one `$batch`, app assignments and owners one read of the
 * directory audit log; without AuditLog.Read.All, each app's assignments twenty to a `$batch` (at most
 * once per `appAssignmentsEveryMs` under watch, every run under a one-off sync).
 * How soon a change is delivered is a timing figure: `bench/triggers-latency.ts` measures it.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { SyncSummary } from "../src/index.ts";
import { type Harness, startHarness } from "./sync-support.ts";
import { syncWith } from "./triggers-support.ts";

let h: Harness;
before(async () => {
  h = await startHarness({ size: "s", seed: 9 });
  await h.sync();
});
after(() => h.close());

/** What `watch` passes by default: app assignments re-read at most every 10 minutes. */
const WATCH = { appAssignmentsEveryMs: 600_000 };
test("an idle watch poll costs one HTTP request per delta stream; SKUs one; roles one $batch of three; the audit log one", async (t) => {
  // The first incremental run after a load re-reads the assignments once; from then on they wait.
  await syncWith(h, WATCH);
  const before = (await h.emu.stats()) as { requests: number };
  const summary = await syncWith(h, WATCH);
  const after = (await h.emu.stats()) as { requests: number };
  const figures = costs(summary);
  const sent = Object.values(figures).reduce((n, f) => n + f.http + f.batched, 0);
  t.diagnostic(
    `idle watch poll per stream (HTTP round trips / requests carried in $batch): ${JSON.stringify(figures)}; ${sent} requests as Graph counts them; emulator counted ${after.requests - before.requests}`,
  );
  assert.equal(summary.totals.changes, 0);
  assert.deepEqual(figures["users"], { http: 1, batched: 0 }, "users: one delta request");
  assert.deepEqual(figures["groups"], { http: 1, batched: 0 }, "groups: one delta request");
  assert.deepEqual(figures["apps"], { http: 2, batched: 0 }, "apps: one delta request, one audit log read");
  assert.deepEqual(figures["licenses"], { http: 1, batched: 0 }, "subscribed SKUs: one list request");
  // No delta for roles: definitions, assignments and eligibility read together in one $batch.
  assert.deepEqual(figures["roles"], { http: 1, batched: 3 }, "roles: one $batch of three reads");
  for (const [stream, f] of Object.entries(figures)) {
    assert.equal(summary.run.stats[stream]?.requests, f.http, `${stream}: run record`);
  }
  // The emulator counts each envelope and each request it carries, as Graph's throttling does.
  assert.equal(after.requests - before.requests, sent);
  assert.equal(sent, 9);
});

test("without AuditLog.Read.All a one-off sync re-reads every app's assignments: one listing, and the apps it cut at 20 apart", async () => {
  await h.emu.setPermissions([
    "Directory.Read.All",
    "RoleManagement.Read.Directory",
    "RoleEligibilitySchedule.Read.Directory",
  ]);
  let summary: SyncSummary;
  try {
    summary = await h.sync();
  } finally {
    await h.emu.setPermissions("write");
  }
  let apps = 0;
  for await (const _ of h.store.query.resources({ kind: "app" })) apps++;
  assert.ok(apps > 0 && apps < 999);
  const cut = h.emu.tenant
    .list("servicePrincipal")
    .filter((sp) => h.emu.tenant.assignmentsOfResource(sp.id).length >= 20).length;
  // The refused audit read, the listing, and the batches of apps read apart.
  assert.deepEqual(costs(summary)["apps"], { http: 3 + Math.ceil(cut / 20), batched: cut });
  assert.ok(
    summary.warnings.some((w) => w.message.includes("AuditLog.Read.All")),
    JSON.stringify(summary.warnings),
  );
});

function costs(summary: SyncSummary): Record<string, { http: number; batched: number }> {
  return Object.fromEntries(
    ["users", "groups", "licenses", "roles", "apps"].map((s) => {
      const c = summary.streams[s]?.cost;
      assert.ok(c, `${s} ran`);
      return [s, { http: c.requests, batched: c.batchedRequests }];
    }),
  );
}
