/**
 * `watch` as a user runs it (the CLI in a child process, against the emulator): JSON lines on stdout by
 * default, `--types`, `--filter` on a property and on `memberOf`, and `--emit-initial`.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import { createUser, type TriggerEvent, updateUser } from "../src/index.ts";
import { CLI } from "./support/child-process.ts";
import { type Harness, startHarness } from "./sync-support.ts";
import { cloudUser, withActions, writableGroup } from "./triggers-support.ts";

type Obj = Record<string, unknown>;
type Snapshot = { users: Obj[]; groups: Obj[] };

let h: Harness;
before(async () => {
  h = await startHarness({ size: "s", seed: 51 });
});
after(() => h.close());

/** `watch --once <args>` on `store` (default: the harness's); the events it printed, and its stderr. */
async function watchOnce(
  args: string[],
  store?: string,
): Promise<{ events: TriggerEvent[]; lines: string[]; stderr: string }> {
  const env = { ...process.env, ...h.env, ...(store ? { ENTRA_STORE: store } : {}) };
  const { stdout, stderr } = await promisify(execFile)(process.execPath, [CLI, "watch", "--once", ...args], {
    env,
    encoding: "utf8",
  });
  const lines = stdout.split("\n").filter((l) => l !== "");
  return { events: lines.map((l) => JSON.parse(l) as TriggerEvent), lines, stderr };
}

const isInOrder = (events: readonly TriggerEvent[]) =>
  events.every((e, i) => i === 0 || (events[i - 1] as TriggerEvent).seq <= e.seq);

const summary = (events: readonly TriggerEvent[]) =>
  events.map((e) => `${e.type} ${e.resource.id}${e.data["principalId"] ? ` ${e.data["principalId"]}` : ""}`);

test("stdout by default: the baseline prints nothing, then one JSON event per line", async () => {
  const first = await watchOnce([]);
  assert.deepEqual(first.lines, [], "the baseline fired nothing");
  assert.match(first.stderr, /^watch: stdout: \* every 30000 ms/m, "what it watches goes to stderr");

  const snap = (await h.emu.snapshot()) as Snapshot;
  const someone = cloudUser(snap.users);
  await withActions(h, (deps) => updateUser(deps, { user: String(someone["id"]), jobTitle: "Watcher" }));
  const { events, lines } = await watchOnce([]);
  assert.deepEqual(summary(events), [`user.updated ${someone["id"]}`]);
  const [event] = events;
  assert.deepEqual(Object.keys(JSON.parse(lines[0] as string)).sort(), [
    "changes",
    "data",
    "detectedAt",
    "id",
    "resource",
    "runId",
    "seq",
    "tenantId",
    "type",
  ]);
  assert.equal(event?.tenantId, h.emu.tenantId);
  assert.equal(event?.changes?.["jobTitle"]?.new, "Watcher");
});

test("--types and --filter memberOf=<group>: only the chosen types, only about the group's members", async () => {
  const snap = (await h.emu.snapshot()) as Snapshot;
  const group = writableGroup(snap.groups);
  const groupId = String(group["id"]);
  const member = cloudUser(snap.users, (u) =>
    ((group["members"] as string[]) ?? []).includes(String(u["id"])),
  );
  const created = await withActions(h, async (deps) => {
    const inGroup = await createUser(deps, {
      displayName: "In Group",
      userPrincipalName: `in.group@${h.emu.tenantDomain}`,
      password: "Corr3ct-Horse-Battery",
      groups: [groupId],
    });
    await createUser(deps, {
      displayName: "Not In Group",
      userPrincipalName: `not.in.group@${h.emu.tenantDomain}`,
      password: "Corr3ct-Horse-Battery",
    });
    // A member changes too, but user.updated is not among the chosen types.
    await updateUser(deps, { user: String(member["id"]), department: "Elsewhere" });
    return inGroup.user.id as string;
  });
  const { events } = await watchOnce([
    "--types",
    "user.created|group.member.*",
    "--filter",
    `memberOf=${groupId}`,
  ]);
  // The users and groups streams commit concurrently: their relative order is the outbox's, not fixed.
  assert.deepEqual(summary(events).sort(), [
    `group.member.added ${groupId} ${created}`,
    `user.created ${created}`,
  ]);
  assert.ok(isInOrder(events));
});

test("--filter department=<value>: only events whose subject has it", async () => {
  const snap = (await h.emu.snapshot()) as Snapshot;
  const sales = cloudUser(snap.users, (u) => u["department"] === "Sales");
  const other = cloudUser(snap.users, (u) => u["department"] !== "Sales");
  await withActions(h, async (deps) => {
    await updateUser(deps, { user: String(sales["id"]), jobTitle: "Sales Lead" });
    await updateUser(deps, { user: String(other["id"]), jobTitle: "Not Sales" });
  });
  const { events } = await watchOnce(["--types", "user.updated", "--filter", "department=Sales"]);
  assert.deepEqual(summary(events), [`user.updated ${sales["id"]}`]);
});

test("--emit-initial: a new subscription's first run prints what the first load found", async () => {
  const store = join(h.dir, "initial.db");
  const snap = (await h.emu.snapshot()) as Snapshot;
  const { events } = await watchOnce(["--emit-initial", "--types", "group.created"], store);
  assert.deepEqual(
    events.map((e) => e.resource.id).sort(),
    snap.groups.map((g) => String(g["id"])).sort(),
    "every group, as created",
  );
  assert.ok(events.every((e) => e.type === "group.created"));
  assert.deepEqual((await watchOnce([], store)).lines, [], "then only changes, and there are none");
});
