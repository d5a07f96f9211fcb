/** Searches against the emulator: filters, free text, paging with cursors, transitive paths. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  addUserToGroup,
  createGroup,
  grant,
  isConnectorError,
  searchGroupMembers,
  searchTransitiveGroupMembers,
  searchUsers,
} from "../src/index.ts";
import { fileHarness, pick } from "./actions-emulator-support.ts";

const h = fileHarness();

/** Follows nextCursor to the end; each page at most `limit` items. */
async function all<T extends { id: string }>(
  first: (cursor?: string) => Promise<{ items: T[]; nextCursor?: string }>,
  limit: number,
): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | undefined;
  do {
    const page = await first(cursor);
    assert.ok(page.items.length <= limit);
    out.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return out;
}

const ids = (list: { id: string }[]) => list.map((o) => o.id).sort();

describe("search-users", () => {
  test("a department filter, paged two at a time, returns exactly the tenant's users of it", async () => {
    const snap = await h.snapshot();
    const dept = snap.users.find((u) => typeof u["department"] === "string")!["department"] as string;
    const expected = snap.users.filter((u) => u["department"] === dept);
    const found = await all(
      (cursor) => searchUsers(h.deps(), { department: dept, limit: 2, ...(cursor ? { cursor } : {}) }),
      2,
    );
    assert.deepEqual(ids(found), ids(expected));
  });

  test("enabled:false finds exactly the disabled users", async () => {
    const snap = await h.snapshot();
    const found = await all(
      (cursor) => searchUsers(h.deps(), { enabled: false, limit: 50, ...(cursor ? { cursor } : {}) }),
      50,
    );
    assert.deepEqual(ids(found), ids(snap.users.filter((u) => u["accountEnabled"] === false)));
  });

  test("userType Guest finds exactly the guests", async () => {
    const snap = await h.snapshot();
    const found = await searchUsers(h.deps(), { userType: "Guest", limit: 999 });
    assert.deepEqual(ids(found.items), ids(snap.users.filter((u) => u["userType"] === "Guest")));
  });

  test("a licence filter (by part number) finds exactly the users holding it", async () => {
    const snap = await h.snapshot();
    const sku = snap.subscribedSkus.find((k) => (k["consumedUnits"] as number) > 1)!;
    const holders = snap.users.filter((u) =>
      ((u["assignedLicenses"] as { skuId: string }[] | undefined) ?? []).some(
        (l) => l.skuId === sku["skuId"],
      ),
    );
    const found = await all(
      (cursor) =>
        searchUsers(h.deps(), {
          license: sku["skuPartNumber"] as string,
          limit: 5,
          ...(cursor ? { cursor } : {}),
        }),
      5,
    );
    assert.deepEqual(ids(found), ids(holders));
  });

  test("free text finds a user by name; hostile text is just text", async () => {
    const u = pick.cloudUser(await h.snapshot(), 1);
    const surname = String(u["surname"] ?? u["displayName"]);
    const found = await searchUsers(h.deps(), { query: surname, limit: 999 });
    assert.ok(found.items.some((x) => x.id === u.id));
    for (const query of ['" OR "displayName:a', "\\", "'; --", 'a" or 1']) {
      const out = await searchUsers(h.deps(), { query, limit: 5 });
      assert.ok(Array.isArray(out.items));
    }
  });

  test("a forged or foreign cursor is refused, a bad limit is bad input", async () => {
    const fromMembers = Buffer.from(
      JSON.stringify({ a: "search-group-members", p: "/users", q: "" }),
    ).toString("base64url");
    for (const cursor of ["not-a-cursor", fromMembers]) {
      await assert.rejects(searchUsers(h.deps(), { cursor }), (err: unknown) =>
        isConnectorError(err, "CURSOR_INVALID"),
      );
    }
    await assert.rejects(searchUsers(h.deps(), { limit: 1000 }), (err: unknown) =>
      isConnectorError(err, "INPUT_INVALID"),
    );
  });

  test("a hand-made cursor cannot replace the caller's filters", async () => {
    const dept = (await h.snapshot()).users.find((u) => typeof u["department"] === "string")!["department"];
    const forged = Buffer.from(
      JSON.stringify({ a: "search-users", p: "/users", q: "$filter=accountEnabled eq false&$top=999" }),
    ).toString("base64url");
    await assert.rejects(
      searchUsers(h.deps(), { department: dept as string, cursor: forged }),
      (err: unknown) => {
        assert.ok(isConnectorError(err, "CURSOR_INVALID"));
        assert.match((err as Error).message, /cursor: /);
        return true;
      },
    );
  });

  test("a cursor is refused with other filters and with an altered page token", async () => {
    const first = await searchUsers(h.deps(), { enabled: true, limit: 2 });
    const cursor = first.nextCursor!;
    assert.ok(cursor);
    await assert.rejects(searchUsers(h.deps(), { enabled: false, limit: 2, cursor }), (err: unknown) =>
      isConnectorError(err, "CURSOR_INVALID"),
    );
    const c = JSON.parse(Buffer.from(cursor, "base64url").toString()) as { s: string };
    const altered = Buffer.from(JSON.stringify({ ...c, s: `x${c.s.slice(1)}` })).toString("base64url");
    await assert.rejects(
      searchUsers(h.deps(), { enabled: true, limit: 2, cursor: altered }),
      (err: unknown) => {
        assert.ok(isConnectorError(err, "CURSOR_INVALID"), String(err));
        assert.match((err as Error).message, /page token/);
        return true;
      },
    );
    const second = await searchUsers(h.deps(), { enabled: true, limit: 5, cursor });
    assert.ok(second.items.length > 2, "a cursor continues with a new limit");
    assert.ok(second.items.every((u) => !first.items.some((f) => f.id === u.id)));
  });
});

describe("group member searches", () => {
  test("direct members, paged, equal the group's members", async () => {
    const group = (await h.snapshot()).groups
      .filter((g) => g.members.length > 3)
      .sort((a, b) => b.members.length - a.members.length)[0]!;
    const found = await all(
      (cursor) => searchGroupMembers(h.deps(), { group: group.id, limit: 3, ...(cursor ? { cursor } : {}) }),
      3,
    );
    assert.deepEqual(ids(found), [...group.members].sort());
  });

  test("transitive members carry the path of groups they came through", async () => {
    const snap = await h.snapshot();
    const [u1, u2] = snap.users.filter((u) => u["userType"] !== "Guest").slice(10, 12) as [
      { id: string },
      { id: string },
    ];
    const inner = await createGroup(h.deps(), { displayName: "Inner Circle", members: [u1.id] });
    const outer = await createGroup(h.deps(), {
      displayName: "Outer Circle",
      members: [u2.id, inner.group.id],
    });
    const found = await searchTransitiveGroupMembers(h.deps(), { group: "Outer Circle", limit: 10 });
    const pathOf = (id: string) => found.items.find((m) => m.id === id)?.path.map((p) => p.displayName);
    assert.deepEqual(pathOf(u2.id), ["Outer Circle"]);
    assert.deepEqual(pathOf(inner.group.id), ["Outer Circle"]);
    assert.deepEqual(pathOf(u1.id), ["Outer Circle", "Inner Circle"]);
    assert.equal(found.items.length, 3);

    // A cycle (inner also contains outer, and u1 is in both) must not loop; the shortest path wins.
    await grant(h.deps(), {
      entitlement: `group:${inner.group.id}:member`,
      principal: `group:${outer.group.id}`,
    });
    await addUserToGroup(h.deps(), { user: u1.id, group: outer.group.id });
    const again = await searchTransitiveGroupMembers(h.deps(), {
      group: outer.group.id,
      type: "user",
      limit: 10,
    });
    assert.deepEqual(ids(again.items), ids([u1, u2]));
    assert.deepEqual(
      again.items.find((m) => m.id === u1.id)?.path.map((p) => p.displayName),
      ["Outer Circle"],
    );
  });

  test("user filters on a non-user type are bad input", async () => {
    const group = pick.securityGroup(await h.snapshot());
    await assert.rejects(
      searchGroupMembers(h.deps(), { group: group.id, type: "group", department: "Sales" }),
      (err: unknown) => isConnectorError(err, "INPUT_INVALID"),
    );
  });
});
