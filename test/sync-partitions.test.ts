/**
 * Users listed in partitions (src/sync/partitions.ts): the partitions hold every user exactly once as
 * the emulator applies Graph's filters, a full load using them is exact, and what the partitions
 * cannot hold (a UPN outside their characters, changes while they are read) sends the load back to
 * the plain listing rather than losing anyone.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { createConnection, loadConfig } from "../src/index.ts";
import { partitionFilter, partitionOf, UPN_PARTITIONS } from "../src/sync/partitions.ts";
import { assertExact, type Harness, PARTITIONED, startHarness } from "./sync-support.ts";

const routeCount = (h: Harness, route: string) => h.emu.stats().byRoute[route] ?? 0;

/** Deterministic pseudo-random numbers (a test that fails must fail again). */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** First characters a UPN may be given: both cases, digits, the symbols Entra allows, and some it does not. */
const FIRST = [..."aAbBiImMzZ09'-_!#^~$.", "é", "İ", "ß", "&", "+", "%", "😀", " "];

test("every user falls in exactly the partition partitionOf names, or in none when its UPN starts outside them", async () => {
  const h = await startHarness({ size: "s", seed: 3, counts: { users: 400 } });
  const connection = createConnection(loadConfig({ env: h.env }), { env: h.env, persistTokens: false });
  try {
    const next = random(42);
    const expected = new Map<string, number>();
    for (const user of h.emu.tenant.list("user")) {
      const first = FIRST[Math.floor(next() * FIRST.length)] as string;
      const upn = `${first}${Math.floor(next() * 1e6)}@${h.emu.tenantDomain}`;
      h.emu.tenant.update("user", user.id, { userPrincipalName: upn });
      expected.set(user.id, partitionOf(upn));
    }
    assert.ok([...expected.values()].includes(-1), "some UPNs start outside the partitions");
    const found = new Map<string, number[]>();
    for (const [i, chars] of UPN_PARTITIONS.entries()) {
      const path = `/users?${partitionFilter(chars)}&$select=id&$top=999`;
      for await (const page of connection.graph.pages<{ id: string }>(path)) {
        for (const { id } of page.value) found.set(id, [...(found.get(id) ?? []), i]);
      }
    }
    for (const [id, partition] of expected) {
      assert.deepEqual(found.get(id) ?? [], partition < 0 ? [] : [partition], `user ${id}`);
    }
  } finally {
    await connection.close();
    await h.close();
  }
});

test("a full sync of a tenant past the threshold lists users in partitions and is exact, and so is the incremental after it", async () => {
  const h = await startHarness({ size: "s", seed: 11, counts: PARTITIONED });
  try {
    const lists = routeCount(h, "GET /users");
    const warnings: string[] = [];
    const full = await h.sync({
      partitionUsersFrom: 1000,
      observer: { warning: (_s, m) => warnings.push(m) },
    });
    assert.equal(full.run.status, "succeeded", JSON.stringify(full.streams));
    assert.deepEqual(warnings, []);
    // The first page and one or more per partition, where a plain listing reads 3.
    assert.ok(routeCount(h, "GET /users") - lists >= 1 + UPN_PARTITIONS.length);
    await assertExact(h, "after the partitioned full sync");
    await h.emu.mutate({ count: 30, seed: 1101 });
    const inc = await h.sync({ partitionUsersFrom: 1000 });
    assert.equal(inc.run.status, "succeeded", JSON.stringify(inc.streams));
    await assertExact(h, "after the incremental sync");
  } finally {
    await h.close();
  }
});

test("below the threshold users are listed in one chain of pages", async () => {
  const h = await startHarness({ size: "s", seed: 12, counts: PARTITIONED });
  try {
    const lists = routeCount(h, "GET /users");
    const full = await h.sync();
    assert.equal(full.run.status, "succeeded", JSON.stringify(full.streams));
    // Three pages of 999.
    assert.equal(routeCount(h, "GET /users") - lists, 3);
    await assertExact(h, "after the full sync");
  } finally {
    await h.close();
  }
});

test("a UPN starting outside the partitions makes the counts disagree: the users are listed again unfiltered and the sync is exact", async () => {
  const h = await startHarness({ size: "s", seed: 13, counts: PARTITIONED });
  try {
    const user = h.emu.tenant.list("user")[7];
    assert.ok(user);
    h.emu.tenant.update("user", user.id, { userPrincipalName: `é${String(user["userPrincipalName"])}` });
    const warnings: string[] = [];
    const full = await h.sync({
      partitionUsersFrom: 1000,
      observer: { warning: (_s, m) => warnings.push(m) },
    });
    assert.equal(full.run.status, "succeeded", JSON.stringify(full.streams));
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] as string, /listing again unfiltered/);
    await assertExact(h, "after the full sync");
  } finally {
    await h.close();
  }
});

test("users created, deleted and renamed across partitions while the partitions are read: the full sync and the incremental after it are exact", async () => {
  const h = await startHarness({ size: "s", seed: 14, counts: PARTITIONED });
  try {
    let pages = 0;
    const full = await h.sync({
      partitionUsersFrom: 1000,
      observer: {
        page(stream) {
          if (stream !== "users" || ++pages !== 3) return;
          // Renamed from the last partition into the first, which is read by then: not listed at all.
          const last = h.emu.tenant
            .list("user")
            .find((u) => partitionOf(String(u["userPrincipalName"])) === 25);
          assert.ok(last);
          h.emu.tenant.update("user", last.id, {
            userPrincipalName: `a${String(last["userPrincipalName"])}`,
          });
          h.emu.mutate({ count: 20, seed: 1401 });
        },
      },
    });
    assert.equal(full.run.status, "succeeded", JSON.stringify(full.streams));
    const inc = await h.sync({ partitionUsersFrom: 1000 });
    assert.equal(inc.run.status, "succeeded", JSON.stringify(inc.streams));
    await assertExact(h, "after the incremental sync");
  } finally {
    await h.close();
  }
});

test("a full sync stopped while the partitions are read resumes and ends exact", async () => {
  const h = await startHarness({ size: "s", seed: 15, counts: PARTITIONED });
  try {
    const controller = new AbortController();
    let pages = 0;
    const stopped = await h.sync({
      partitionUsersFrom: 1000,
      signal: controller.signal,
      observer: { page: (stream) => stream === "users" && ++pages === 6 && controller.abort() },
    });
    assert.equal(stopped.run.status, "cancelled");
    const resumed = await h.sync({ partitionUsersFrom: 1000 });
    assert.equal(resumed.run.status, "succeeded", JSON.stringify(resumed.streams));
    await assertExact(h, "after resuming");
  } finally {
    await h.close();
  }
});
