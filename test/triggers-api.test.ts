/**
 * The library API (`subscribe`, `events`) tailing a store another process syncs into, and the watch
 * command's option checks (before anything is opened or sent).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { Command } from "commander";
import { planWatch, watchCommand } from "../src/cli/commands/watch.ts";
import { events, type Subscribed, subscribe, type TriggerEvent } from "../src/index.ts";
import { group, member, storeWithRun, user } from "../src/store/test-support.ts";
import type { Store } from "../src/store/types.ts";
import { defaultSubscriptionId } from "../src/triggers/subscriptions.ts";
import { markLoaded } from "./triggers-support.ts";

/** A store with a finished baseline (u0, u1) and a function that syncs a new user in a later run. */
async function syncedStore(): Promise<{ store: Store; addUser(id: string): Promise<void> }> {
  const { store, runId } = await storeWithRun();
  await store.sync.applyPage({ runId, stream: "users", upserts: [user("u0"), user("u1")] });
  await markLoaded(store, runId);
  await store.runs.finish(runId, { status: "succeeded" });
  return {
    store,
    async addUser(id) {
      const run = await store.runs.start({ kind: "incremental", tenantId: "tenant-1" });
      await store.sync.applyPage({ runId: run.id, stream: "users", upserts: [user(id)] });
      await store.runs.finish(run.id, { status: "succeeded" });
    },
  };
}

/** Waits for `check`; on time-out stops the running subscriptions first, so a failure cannot hang the file. */
async function until(check: () => boolean, ...running: Subscribed[]): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await sleep(10);
  if (check()) return;
  for (const s of running) await s.stop();
  assert.fail("timed out waiting");
}

describe("subscribe", () => {
  it("calls back for changes after the baseline, in order, and resumes where it stopped", async () => {
    const { store, addUser } = await syncedStore();
    const got: TriggerEvent[] = [];
    const sub = await subscribe({ store, id: "app", types: ["user.created"], intervalMs: 20 }, (e) => {
      got.push(e);
    });
    await addUser("u2");
    await addUser("u3");
    await until(() => got.length === 2, sub);
    await sub.stop();
    assert.deepEqual(
      got.map((e) => e.resource.id),
      ["u2", "u3"],
    );
    await addUser("u4");
    const again: TriggerEvent[] = [];
    const resumed = await subscribe({ store, id: "app", intervalMs: 20 }, (e) => {
      again.push(e);
    });
    await until(() => again.length === 1, resumed);
    await resumed.stop();
    assert.equal(again[0]?.resource.id, "u4");
    await store.close();
  });

  it("retries a callback that throws, then goes on", async () => {
    const { store, addUser } = await syncedStore();
    let calls = 0;
    const got: string[] = [];
    const sub = await subscribe({ store, id: "flaky", intervalMs: 20 }, (e) => {
      if (++calls < 3) throw new Error("not now");
      got.push(e.resource.id);
    });
    await addUser("u2");
    await until(() => got.length === 1, sub);
    await sub.stop();
    assert.equal(calls, 3);
    await store.close();
  });

  it("delivers only what the filter selects: a department, members of a group", async () => {
    const { store, runId } = await storeWithRun();
    await store.sync.applyPage({ runId, stream: "users", upserts: [user("u0")] });
    await markLoaded(store, runId);
    await store.runs.finish(runId, { status: "succeeded" });
    const sales: string[] = [];
    const members: string[] = [];
    const a = await subscribe(
      { store, id: "sales", filter: { where: { department: "Sales" } }, intervalMs: 20 },
      (e) => {
        sales.push(`${e.type} ${e.resource.id}`);
      },
    );
    const b = await subscribe({ store, id: "g1", filter: { memberOf: "g1" }, intervalMs: 20 }, (e) => {
      members.push(`${e.type} ${e.resource.id}`);
    });
    try {
      const run = await store.runs.start({ kind: "incremental", tenantId: "tenant-1" });
      await store.sync.applyPage({
        runId: run.id,
        stream: "users",
        upserts: [user("u1", { department: "Sales" }), user("u2", { department: "HR" }), group("g1")],
        edges: { add: [member("g1", "u2")] },
      });
      await store.sync.applyPage({
        runId: run.id,
        stream: "users",
        upserts: [user("u2", { department: "Sales" })],
      });
      await until(() => sales.length === 3 && members.length === 3);
    } finally {
      await a.stop();
      await b.stop();
    }
    // Filters read the store at delivery time: by then u2 is in Sales, and a member of g1. A membership
    // event's subject is its member.
    assert.deepEqual(sales, ["user.created u1", "group.member.added g1", "user.updated u2"]);
    assert.deepEqual(members, ["user.created u2", "group.member.added g1", "user.updated u2"]);
    await store.close();
  });

  it("refuses a client without a tenant id before subscribing", async () => {
    const { store } = await syncedStore();
    await assert.rejects(
      subscribe({ store, client: {} as never }, () => {}),
      /tenantId: subscribe\(\) with a client also needs the tenant id/,
    );
    assert.deepEqual(await store.subscriptions.list(), []);
    await store.close();
  });
});

describe("events()", () => {
  it("iterates events; breaking out redelivers the unfinished one (same id) next time", async () => {
    const { store, addUser } = await syncedStore();
    await addUser("u2");
    await addUser("u3");
    const first: TriggerEvent[] = [];
    for await (const e of events({
      store,
      id: "iter",
      emitInitial: true,
      types: ["user.created"],
      intervalMs: 20,
    })) {
      first.push(e);
      if (first.length === 3) break; // u0, u1 done; u2 being handled when we stop
    }
    const second: TriggerEvent[] = [];
    for await (const e of events({ store, id: "iter", intervalMs: 20 })) {
      second.push(e);
      if (second.length === 2) break;
    }
    assert.deepEqual(
      first.map((e) => e.resource.id),
      ["u0", "u1", "u2"],
    );
    assert.deepEqual(
      second.map((e) => e.resource.id),
      ["u2", "u3"],
    );
    assert.equal(second[0]?.id, first[2]?.id);
    await store.close();
  });
});

describe("watch options", () => {
  it("defaults to stdout every 30 s with every type, and checks each flag naming it", () => {
    const plan = planWatch({});
    assert.equal(plan.intervalMs, 30_000);
    assert.deepEqual(plan.targets, [{ kind: "stdout" }]);
    assert.deepEqual(plan.types, ["*"]);
    const both = planWatch({ webhook: "https://hooks.example.com/x", out: "e.jsonl", interval: "5s" });
    assert.deepEqual(
      both.targets.map((t) => t.kind),
      ["webhook", "file"],
    );
    assert.throws(() => planWatch({ interval: "often" }), /--interval: "often" is not a duration/);
    assert.throws(
      () => planWatch({ webhook: "hooks.example.com" }),
      /--webhook: the value is not an http\(s\) URL/,
    );
    assert.throws(() => planWatch({ types: "user.create" }), /--types/);
    assert.throws(() => planWatch({ filter: ["=x"] }), /--filter/);
    assert.throws(() => planWatch({ deadLetterAfter: "0s" }), /--dead-letter-after/);
    assert.throws(() => planWatch({ kinds: "people" }), /people/);
  });

  it("the five Unify triggers: each a valid --types value, named so in the help and in docs/triggers.md", () => {
    const five: [string, string[]][] = [
      ["user.created", ["user.created"]],
      ["user.created|user.updated", ["user.created", "user.updated"]],
      ["user.deleted", ["user.deleted"]],
      ["group.created", ["group.created"]],
      ["group.created|group.updated", ["group.created", "group.updated"]],
    ];
    const help =
      watchCommand.configure(new Command("watch")).options.find((o) => o.long === "--types")?.description ??
      "";
    const docs = readFileSync(new URL("../docs/triggers.md", import.meta.url), "utf8");
    for (const [spec, types] of five) {
      assert.deepEqual(planWatch({ types: spec }).types, types);
      assert.ok(help.includes(spec), `--types help names ${spec}`);
      assert.ok(docs.includes(`\`${spec}\``), `docs/triggers.md names ${spec}`);
    }
  });

  it("names a webhook subscription without the URL's query values or user info (they may hold a credential)", () => {
    assert.equal(
      defaultSubscriptionId({ kind: "webhook", url: "https://u:p@hooks.example.com/in" }),
      "webhook:https://hooks.example.com/in",
    );
    assert.match(
      defaultSubscriptionId(
        { kind: "webhook", url: "https://hooks.example.com/in?token=abc" },
        Buffer.alloc(32, 7),
      ),
      /^webhook:https:\/\/hooks\.example\.com\/in\?token=\[redacted\]#[0-9a-f]{16}$/,
    );
    assert.match(defaultSubscriptionId({ kind: "file", path: "/tmp/e.jsonl" }), /^file:\/tmp\/e\.jsonl$/);
  });
});
