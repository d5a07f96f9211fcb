/**
 * App assignments under watch. Graph v1.0 has no delta for them: each poll reads the directory audit
 * log and re-reads the apps it names, so a change fires at the next poll. Without AuditLog.Read.All,
 * watch re-reads every app's assignments at most once per `--app-assignments-every`: polls in between
 * cost apps two requests (the delta and the refused audit read), a change waits for the next pass and
 * then fires once, and the time of the last pass is kept in the store, so a restarted watcher (here:
 * the CLI in a child process) does not bring the pass forward.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { after, before, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { planWatch } from "../src/cli/commands/watch.ts";
import { createConnection, isConnectorError, loadConfig } from "../src/index.ts";
import { ASSIGNMENTS_STREAM } from "../src/sync/streams/apps.ts";
import { CLI } from "./support/child-process.ts";
import { type Harness, startHarness, WRITE_WITHOUT_AUDIT } from "./sync-support.ts";
import { type Collected, collector, syncWith, watchRound } from "./triggers-support.ts";

const EVERY_MS = 3000;
const OPTIONS = { appAssignmentsEveryMs: EVERY_MS };

let h: Harness;
let all: Collected;
before(async () => {
  h = await startHarness({ size: "s", seed: 31 });
  await h.sync();
  all = await collector(h, "all");
});
after(() => h.close());

async function lastPass(): Promise<number> {
  const checkpoint = await h.store.sync.checkpoint(ASSIGNMENTS_STREAM);
  assert.ok(checkpoint, "the time of the last pass is in the store");
  return Date.parse(String(checkpoint.data["readAt"]));
}

/** A user and an enterprise app the user is not assigned to, from the emulator's own state. */
async function unassignedPair(): Promise<{ appId: string; userId: string }> {
  type Obj = Record<string, unknown>;
  const snap = (await h.emu.snapshot()) as { users: Obj[]; servicePrincipals: Obj[] };
  const app = snap.servicePrincipals.find((s) => s["servicePrincipalType"] === "Application") as Obj;
  const assigned = new Set(
    ((app["appRoleAssignedTo"] as Obj[] | undefined) ?? []).map((a) => String(a["principalId"])),
  );
  const user = snap.users.find((u) => !assigned.has(String(u["id"])) && u["accountEnabled"] === true);
  assert.ok(user, "some user is not assigned to the app");
  return { appId: String(app["id"]), userId: String(user["id"]) };
}

async function assign(appId: string, userId: string): Promise<void> {
  const connection = createConnection(loadConfig({ env: h.env }), { env: h.env, persistTokens: false });
  try {
    await connection.graph.request(`/servicePrincipals/${appId}/appRoleAssignedTo`, {
      method: "POST",
      body: { principalId: userId, resourceId: appId, appRoleId: "00000000-0000-0000-0000-000000000000" },
    });
  } finally {
    await connection.close();
  }
}

test("with the audit log, an app assignment fires once, at the next poll; an idle poll costs apps two requests", async () => {
  const idle = await syncWith(h, OPTIONS);
  assert.equal(idle.streams["apps"]?.cost.requests, 2, "apps: the delta request and the audit log read");
  assert.equal(idle.totals.changes, 0);
  const { appId, userId } = await unassignedPair();
  await assign(appId, userId);
  const [got = []] = await watchRound(h, [all], undefined, OPTIONS);
  const assignedHere = got.filter(
    (e) => e.type === "app.assigned" && e.resource.id === appId && e.data["principalId"] === userId,
  );
  assert.equal(assignedHere.length, 1, JSON.stringify(got.map((e) => e.type)));
  const [again = []] = await watchRound(h, [all], undefined, OPTIONS);
  assert.equal(again.length, 0, "an entry read again within the overlap fires nothing");
});

test("without AuditLog.Read.All, an app assignment fires once, at the first full pass due; polls before it cost apps two requests", async () => {
  await h.emu.setPermissions(WRITE_WITHOUT_AUDIT);
  // A full pass now, recorded; from then on the next is due after EVERY_MS.
  await syncWith(h, { appAssignmentsEveryMs: 0 });
  const passAt = await lastPass();

  const { appId, userId } = await unassignedPair();
  await assign(appId, userId);

  const idle = await syncWith(h, OPTIONS);
  assert.equal(idle.streams["apps"]?.cost.requests, 2, "apps: the delta request and the refused audit read");
  assert.equal(idle.streams["apps"]?.cost.batchedRequests, 0);
  assert.equal(idle.totals.changes, 0, "the assignment is not seen yet");

  // A restarted watcher: a new process, the same store, a pass not yet due.
  const child = await promisify(execFile)(
    process.execPath,
    [CLI, "watch", "--once", "--app-assignments-every", "1h"],
    { env: { ...process.env, ...h.env }, encoding: "utf8" },
  );
  assert.doesNotMatch(child.stdout, /"app\.assigned"/, "not before the pass is due");
  assert.equal(await lastPass(), passAt, "the restarted watcher did not re-read");

  await sleep(Math.max(0, passAt + EVERY_MS - Date.now()));
  const [got = []] = await watchRound(h, [all], undefined, OPTIONS);
  const assignedHere = got.filter(
    (e) => e.type === "app.assigned" && e.resource.id === appId && e.data["principalId"] === userId,
  );
  assert.equal(assignedHere.length, 1, JSON.stringify(got.map((e) => e.type)));
  assert.ok((await lastPass()) >= passAt + EVERY_MS, "and the new pass was recorded");
  const everything = all.events.filter(
    (e) => e.type === "app.assigned" && e.resource.id === appId && e.data["principalId"] === userId,
  );
  assert.equal(everything.length, 1, "exactly once over all rounds");
});

test("--app-assignments-every: 10 min by default, 0 for every poll, a duration otherwise", () => {
  assert.equal(planWatch({}).appAssignmentsEveryMs, 600_000);
  assert.equal(planWatch({ appAssignmentsEvery: "0" }).appAssignmentsEveryMs, 0);
  assert.equal(planWatch({ appAssignmentsEvery: "2m" }).appAssignmentsEveryMs, 120_000);
  assert.throws(
    () => planWatch({ appAssignmentsEvery: "often" }),
    (e) => isConnectorError(e, "CONFIG_INVALID") && e.message.includes("--app-assignments-every"),
  );
});
