import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { StoreError } from "../errors.ts";
import { group, member, user } from "../test-support.ts";
import type { PageInput, PageResult } from "../types.ts";
import { SqliteDatabase } from "./database.ts";
import { EdgeTable } from "./edges.ts";
import { SqliteStore } from "./store.ts";

/** What a page's result says, without what differs between two stores (event ids, run, time). */
const comparable = (results: PageResult[]) =>
  results.map((r) => ({
    objects: r.objects,
    events: r.events.map(({ id: _id, runId: _run, detectedAt: _at, ...rest }) => rest),
  }));

async function twoStores() {
  const [a, b] = [new SqliteStore(":memory:"), new SqliteStore(":memory:")];
  const runA = await a.runs.start({ kind: "full", tenantId: "t1" });
  const runB = await b.runs.start({ kind: "full", tenantId: "t1" });
  return { a, b, runA: runA.id, runB: runB.id };
}

const pages = (runId: string): PageInput[] => [
  { runId, stream: "users", upserts: [user("u1"), user("u2")], checkpoint: { version: 1, data: { p: 1 } } },
  {
    runId,
    stream: "groups",
    upserts: [group("g1")],
    edges: { add: [member("g1", "u1"), member("g1", "u2")] },
  },
  // The second page of a stream, and a change to what the first page of the group wrote.
  {
    runId,
    stream: "users",
    upserts: [user("u1", { department: "Sales" })],
    checkpoint: { version: 1, data: { p: 2 } },
  },
];

describe("group commit: pages that waited together, in one transaction", () => {
  it("gives each page the events and result it would have had alone, in order", async () => {
    const { a, b, runA, runB } = await twoStores();
    const together = await a.sync.applyPages(pages(runA));
    const alone = [];
    for (const page of pages(runB)) alone.push(await b.sync.applyPage(page));
    assert.deepEqual(comparable(together), comparable(alone));
    assert.deepEqual((await a.sync.checkpoint("users"))?.data, { p: 2 });
    assert.equal(await a.outbox.head(), 6);
    await Promise.all([a.close(), b.close()]);
  });

  it("writes nothing when one page is refused, and names the field", async () => {
    const { a, runA } = await twoStores();
    const bad = {
      runId: runA,
      stream: "groups",
      edges: { add: [{ ...member("g1", "u9"), principalType: "" }] },
    };
    await assert.rejects(a.sync.applyPages([...pages(runA), bad]), (error: unknown) => {
      return error instanceof StoreError && /edges\.add\[0\]\.principalType/.test(error.message);
    });
    assert.equal(await a.outbox.head(), 0);
    assert.equal(await a.sync.checkpoint("users"), undefined);
    await a.close();
  });
});

describe("the edge table's dictionary numbers", () => {
  it("forgets ids a rolled-back transaction interned, and keeps committed ones across transactions", () => {
    const db = new SqliteDatabase(":memory:");
    const edges = new EdgeTable(db);
    const key = (principalId: string) => ({
      relation: "group:member" as const,
      objectId: "g1",
      principalId,
      qualifier: "",
    });
    db.transaction(() => edges.insert(key("u1"), "user", null, 0));
    const committed = edges.numberOf("u1");
    assert.equal(typeof committed, "number");
    assert.throws(() =>
      db.transaction(() => {
        edges.insert(key("u2"), "user", null, 0);
        assert.equal(typeof edges.numberOf("u2"), "number");
        throw new Error("page failed half-way");
      }),
    );
    assert.equal(edges.numberOf("u2"), undefined);
    assert.equal(edges.numberOf("u1"), committed);
    // Interned again after the rollback, u2 gets a number the dictionary really holds.
    db.transaction(() => edges.insert(key("u2"), "user", null, 0));
    const row = db.get<{ id: string }>("SELECT id FROM ids WHERE n = ?", edges.numberOf("u2") as number);
    assert.equal(row?.id, "u2");
    db.close();
  });
});
