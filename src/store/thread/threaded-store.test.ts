import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { StoreError } from "../errors.ts";
import { openStore } from "../open.ts";
import { collect, group, member, user } from "../test-support.ts";
import type { Store } from "../types.ts";
import { STREAM_CHUNK } from "./protocol.ts";

const dir = mkdtempSync(join(tmpdir(), "entra-thread-"));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const freshPath = () => join(dir, `store-${++files}.db`);

/** Writes the same pages to a store and returns what a caller sees: events without their random ids. */
async function loadTenant(store: Store) {
  const run = await store.runs.start({ kind: "full", tenantId: "t1" });
  const users = Array.from({ length: STREAM_CHUNK + 7 }, (_, i) => user(`u${String(i).padStart(4, "0")}`));
  const first = await store.sync.applyPage({
    runId: run.id,
    stream: "users",
    upserts: users,
    checkpoint: { version: 1, data: { next: "page-2" } },
  });
  const second = await store.sync.applyPage({
    runId: run.id,
    stream: "groups",
    upserts: [group("g1")],
    edges: { add: users.slice(0, 3).map((u) => member("g1", u.id)) },
  });
  await store.runs.finish(run.id, { status: "succeeded" });
  return [...first.events, ...second.events].map(
    ({ id: _id, runId: _run, detectedAt: _at, ...rest }) => rest,
  );
}

describe("the store on its own thread", () => {
  it("answers every call as the store on the main thread does, streams included", async () => {
    const threaded = await openStore(freshPath(), { thread: true });
    const inline = await openStore(freshPath());
    assert.deepEqual(await loadTenant(threaded), await loadTenant(inline));
    assert.deepEqual((await threaded.sync.checkpoint("users"))?.data, { next: "page-2" });
    assert.equal((await threaded.query.resolve("u0003@contoso.com"))?.id, "u0003");
    // More rows than one chunk, in order, and a stream left early frees its statement for the next.
    const exported = await collect(threaded.query.export("users"));
    assert.deepEqual(exported, await collect(inline.query.export("users")));
    assert.equal(exported.length, STREAM_CHUNK + 7);
    for await (const _row of threaded.query.export("users")) break;
    assert.equal((await collect(threaded.query.export("memberships"))).length, 3);
    await Promise.all([threaded.close(), inline.close()]);
  });

  it("runs calls in the order they were made, as one connection would", async () => {
    const store = await openStore(freshPath(), { thread: true });
    const run = await store.runs.start({ kind: "full", tenantId: "t1" });
    const writes = Array.from({ length: 20 }, (_, i) =>
      store.sync.applyPage({ runId: run.id, stream: "users", upserts: [user("u1", { n: i })] }),
    );
    const results = await Promise.all(writes);
    assert.deepEqual(
      results.map((r) => r.events[0]?.type),
      ["created", ...Array(19).fill("updated")],
    );
    assert.equal((await store.query.resolve("u1"))?.data["n"], 19);
    await store.close();
  });

  it("rejects bad input with the store's typed error naming the field, and keeps serving", async () => {
    const store = await openStore(freshPath(), { thread: true });
    const run = await store.runs.start({ kind: "full", tenantId: "t1" });
    await assert.rejects(
      store.sync.applyPage({
        runId: run.id,
        stream: "users",
        upserts: [{ ...user("u1"), kind: "person" as "user" }],
      }),
      (error: unknown) =>
        error instanceof StoreError &&
        error.code === "STORE_INPUT_INVALID" &&
        /upserts\[0\]\.kind/.test(error.message),
    );
    assert.equal((await store.runs.list()).length, 1);
    await store.close();
  });

  it("commits the pages sent with a refused one, and refuses only that one", async () => {
    const store = await openStore(freshPath(), { thread: true });
    const run = await store.runs.start({ kind: "full", tenantId: "t1" });
    // Sent in one go, they wait together at the thread and are tried as one group commit first.
    const [first, refused, last] = await Promise.allSettled([
      store.sync.applyPage({ runId: run.id, stream: "users", upserts: [user("u1")] }),
      store.sync.applyPage({ runId: run.id, stream: "users", upserts: [{ ...user("u2"), id: "" }] }),
      store.sync.applyPage({ runId: run.id, stream: "groups", upserts: [group("g1")] }),
    ]);
    assert.equal(first.status === "fulfilled" && first.value.events[0]?.resourceId, "u1");
    assert.ok(refused.status === "rejected" && refused.reason instanceof StoreError);
    assert.match(String((refused as PromiseRejectedResult).reason.message), /upserts\[0\]\.id/);
    assert.equal(last.status === "fulfilled" && last.value.events[0]?.resourceId, "g1");
    assert.deepEqual(
      (await collect(store.query.export("users"))).map((row) => row["id"]),
      ["u1"],
    );
    await store.close();
  });

  it("reports a location it cannot open as the store on the main thread does", async () => {
    await assert.rejects(openStore(dir, { thread: true }), (error: unknown) => {
      return error instanceof StoreError && error.code === "STORE_LOCATION_INVALID";
    });
  });

  it("refuses calls once closed, with STORE_THREAD_FAILED, and closes twice quietly", async () => {
    const store = await openStore(freshPath(), { thread: true });
    await store.close();
    await store.close();
    await assert.rejects(store.runs.list(), (error: unknown) => {
      return error instanceof StoreError && error.code === "STORE_THREAD_FAILED";
    });
  });

  it("shares the file: what the thread committed, another connection reads", async () => {
    const path = freshPath();
    const threaded = await openStore(path, { thread: true });
    await loadTenant(threaded);
    const reader = await openStore(path, { mustExist: true });
    assert.equal((await collect(reader.query.export("memberships"))).length, 3);
    await Promise.all([threaded.close(), reader.close()]);
  });

  it("does not keep a program alive that ends without closing the store", () => {
    const script = `
      import { openStore } from ${JSON.stringify(new URL("../open.ts", import.meta.url).href)};
      const store = await openStore(${JSON.stringify(freshPath())}, { thread: true });
      await store.runs.list();
      console.log("done");`;
    const file = join(dir, "no-close.mjs");
    writeFileSync(file, script);
    const child = spawnSync(process.execPath, [file], {
      encoding: "utf8",
      timeout: 20_000,
    });
    assert.equal(child.status, 0, child.stderr);
    assert.equal(child.stdout.trim(), "done");
  });
});
