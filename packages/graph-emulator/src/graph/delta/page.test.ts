import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { TenantModel } from "../../tenant/model.ts";
import { DeltaIndex } from "./change-index.ts";
import { buildDeltaPage, type DeltaShape, firstRound, type PageLimits, roundFromLink } from "./page.ts";
import type { DeltaKind, DeltaState } from "./token.ts";

const USER_SHAPE: DeltaShape = {
  defaultSelect: ["displayName", "jobTitle", "userPrincipalName"],
  idPosition: "last",
};
const GROUP_SHAPE: DeltaShape = { defaultSelect: ["displayName", "description"], idPosition: "first" };
const LIMITS: PageLimits = { objects: 200, members: 1000, scan: 4000 };

function newModel(): TenantModel {
  return new TenantModel({ id: "t", displayName: "T", domains: ["t.onmicrosoft.com"], hasP2: true });
}

function addUsers(model: TenantModel, n: number, from = 0): string[] {
  const ids: string[] = [];
  for (let i = from; i < from + n; i++) {
    const id = `u${i}`;
    model.insert("user", { id, displayName: `User ${i}`, userPrincipalName: `u${i}@t.onmicrosoft.com` });
    ids.push(id);
  }
  return ids;
}

interface Replica {
  objects: Map<string, Record<string, unknown>>;
  members: Map<string, Set<string>>;
}

/** What a client does with a page: merge objects, drop removed ones, merge members@delta. */
function apply(replica: Replica, value: Record<string, unknown>[], minimal: boolean): void {
  for (const item of value) {
    const id = item["id"] as string;
    if (item["@removed"]) {
      replica.objects.delete(id);
      replica.members.delete(id);
      continue;
    }
    const { "members@delta": delta, ...props } = item;
    const previous = replica.objects.get(id);
    // Continuation slices of a split group carry only id and members.
    const partial = minimal || Object.keys(props).length === 1;
    replica.objects.set(id, partial && previous ? { ...previous, ...props } : props);
    if (Array.isArray(delta)) {
      const set = replica.members.get(id) ?? new Set<string>();
      replica.members.set(id, set);
      for (const ref of delta as Record<string, unknown>[]) {
        if (ref["@removed"]) set.delete(ref["id"] as string);
        else set.add(ref["id"] as string);
      }
    }
  }
}

interface Driver {
  index: DeltaIndex;
  kind: DeltaKind;
  shape: DeltaShape;
  limits?: PageLimits;
  minimal?: boolean;
  /** Called after each page: mutate the tenant mid-round. */
  between?: (page: number) => void;
}

function round(
  d: Driver,
  replica: Replica,
  start: DeltaState,
): { link: DeltaState; pages: number; items: number } {
  let state = start;
  let pages = 0;
  let items = 0;
  for (;;) {
    const page = onePage(d, state);
    pages += 1;
    items += page.value.length;
    apply(replica, page.value, d.minimal ?? false);
    if (page.done) return { link: page.done, pages, items };
    assert.ok(page.next, "a page without deltaLink must carry a nextLink");
    d.between?.(pages);
    state = page.next;
    assert.ok(pages < 10_000, "round does not terminate");
  }
}

/** One page with the driver's model and index. */
function onePage(d: Driver, state: DeltaState, minimal = d.minimal ?? false) {
  return buildDeltaPage({
    model: d.index.model,
    index: d.index.of(d.kind),
    state,
    shape: d.shape,
    minimal,
    limits: d.limits ?? LIMITS,
  });
}

function fullRound(d: Driver, replica: Replica, select: string[] | null = null) {
  const start = firstRound(
    d.kind,
    { select, ids: null },
    d.index.of(d.kind),
    d.index.seq,
    d.index.generation,
    0,
  );
  return round(d, replica, start);
}

function nextRound(d: Driver, replica: Replica, link: DeltaState) {
  return round(d, replica, roundFromLink(link, d.index.seq, 0));
}

const emptyReplica = (): Replica => ({ objects: new Map(), members: new Map() });

function assertUsersMatch(model: TenantModel, replica: Replica): void {
  const live = model.list("user");
  assert.deepEqual([...replica.objects.keys()].sort(), live.map((u) => u.id).sort());
  for (const user of live) assert.equal(replica.objects.get(user.id)?.["displayName"], user["displayName"]);
}

describe("delta pages", () => {
  it("pages a full round at 200 objects and finishes with a deltaLink", () => {
    const model = newModel();
    addUsers(model, 450);
    const d: Driver = { index: new DeltaIndex(model), kind: "users", shape: USER_SHAPE };
    const replica = emptyReplica();
    const { pages, items } = fullRound(d, replica);
    assert.equal(pages, 3);
    assert.equal(items, 450);
    assertUsersMatch(model, replica);
    // Delta leaves unset properties out and puts a user's id last.
    const first = replica.objects.get("u0");
    assert.deepEqual(Object.keys(first ?? {}), ["displayName", "userPrincipalName", "id"]);
  });

  it("ends with an empty page when the last page was full", () => {
    const model = newModel();
    addUsers(model, 400);
    const d: Driver = { index: new DeltaIndex(model), kind: "users", shape: USER_SHAPE };
    const { pages, items } = fullRound(d, emptyReplica());
    assert.equal(pages, 3);
    assert.equal(items, 400);
  });

  it("answers no changes with an empty page and a fresh deltaLink", () => {
    const model = newModel();
    addUsers(model, 10);
    const d: Driver = { index: new DeltaIndex(model), kind: "users", shape: USER_SHAPE };
    const replica = emptyReplica();
    const { link } = fullRound(d, replica);
    const again = nextRound(d, replica, link);
    assert.equal(again.items, 0);
    assert.equal(again.pages, 1);
  });

  it("loses no change made while a round is being paged", () => {
    const model = newModel();
    addUsers(model, 1000);
    let next = 1000;
    const d: Driver = {
      index: new DeltaIndex(model),
      kind: "users",
      shape: USER_SHAPE,
      between: (page) => {
        // Touch objects already sent, not yet sent, and create / delete some.
        model.update("user", `u${page * 7}`, { displayName: `renamed ${page}` });
        model.update("user", `u${999 - page}`, { displayName: `late ${page}` });
        model.softDelete("user", `u${page * 13 + 1}`, 0);
        model.hardDelete("user", `u${page * 17 + 2}`);
        addUsers(model, 2, next);
        next += 2;
      },
    };
    const replica = emptyReplica();
    const first = fullRound(d, replica);
    d.between = undefined;
    // Changes made while the round was paged come in the next round.
    model.update("user", "u500", { displayName: "after the round" });
    const second = nextRound(d, replica, first.link);
    assertUsersMatch(model, replica);
    const third = nextRound(d, replica, second.link);
    assert.equal(third.items, 0);
  });

  it("keeps a replica exact over random interleavings of pages and changes", () => {
    const model = newModel();
    let next = 300;
    addUsers(model, next);
    let rnd = 12345;
    const rand = (n: number) => {
      rnd = (rnd * 1103515245 + 12345) & 0x7fffffff;
      return rnd % n;
    };
    const mutate = () => {
      const live = model.list("user");
      const pick = live[rand(live.length)];
      const op = rand(5);
      if (op === 0 || !pick) addUsers(model, 1, next++);
      else if (op === 1) model.softDelete("user", pick.id, 0);
      else if (op === 2) model.hardDelete("user", pick.id);
      else if (op === 3 && model.deletedItems("user").length)
        model.restore(model.deletedItems("user")[0]!.object.id);
      else model.update("user", pick.id, { displayName: `v${rand(1e6)}` });
    };
    const d: Driver = {
      index: new DeltaIndex(model),
      kind: "users",
      shape: USER_SHAPE,
      limits: { objects: 37, members: 1000, scan: 50 },
      between: () => {
        for (let i = rand(8); i > 0; i--) mutate();
      },
    };
    const replica = emptyReplica();
    let { link } = fullRound(d, replica);
    for (let r = 0; r < 20; r++) {
      for (let i = rand(40); i > 0; i--) mutate();
      link = nextRound(d, replica, link).link;
    }
    d.between = undefined;
    link = nextRound(d, replica, link).link;
    assertUsersMatch(model, replica);
  });

  it("reports soft-deleted objects as removed 'changed' in a full round and hard deletes as 'deleted' later", () => {
    const model = newModel();
    addUsers(model, 3);
    model.softDelete("user", "u1", 0);
    const d: Driver = { index: new DeltaIndex(model), kind: "users", shape: USER_SHAPE };
    const pages: Record<string, unknown>[] = [];
    const replica = emptyReplica();
    const start = firstRound("users", { select: null, ids: null }, d.index.of("users"), d.index.seq, 1, 0);
    const page = onePage(d, start, false);
    pages.push(...page.value);
    assert.deepEqual(
      pages.find((p) => p["id"] === "u1"),
      { id: "u1", "@removed": { reason: "changed" } },
    );
    model.hardDelete("user", "u1");
    model.hardDelete("user", "u2");
    const later = onePage(d, roundFromLink(page.done!, d.index.seq, 0), false);
    assert.deepEqual(later.value, [
      { id: "u1", "@removed": { reason: "deleted" } },
      { id: "u2", "@removed": { reason: "deleted" } },
    ]);
    apply(replica, later.value, false);
  });

  it("sends only changed properties with return=minimal, and a cleared one as null", () => {
    const model = newModel();
    addUsers(model, 2);
    model.update("user", "u0", { jobTitle: "Engineer" });
    const d: Driver = { index: new DeltaIndex(model), kind: "users", shape: USER_SHAPE, minimal: true };
    const replica = emptyReplica();
    const { link } = fullRound(d, replica);
    assert.deepEqual(replica.objects.get("u0"), {
      displayName: "User 0",
      jobTitle: "Engineer",
      userPrincipalName: "u0@t.onmicrosoft.com",
      id: "u0",
    });
    model.update("user", "u0", { displayName: "Zed", jobTitle: null });
    const page = onePage(d, roundFromLink(link, d.index.seq, 0), true);
    assert.deepEqual(page.value, [{ displayName: "Zed", jobTitle: null, id: "u0" }]);
    // An object created after the token is new to the client: all its properties are sent.
    addUsers(model, 1, 7);
    model.update("user", "u7", { jobTitle: "New" });
    const created = onePage(d, roundFromLink(link, d.index.seq, 0), true);
    assert.deepEqual(created.value[1], {
      displayName: "User 7",
      jobTitle: "New",
      userPrincipalName: "u7@t.onmicrosoft.com",
      id: "u7",
    });
  });

  it("splits a large group's members across pages and reports member changes later", () => {
    const model = newModel();
    const users = addUsers(model, 2500);
    model.insert("group", { id: "g-big", displayName: "Big" });
    model.insert("group", { id: "g-small", displayName: "Small" });
    for (const id of users) model.addMember("g-big", id);
    model.addMember("g-small", "u1");
    const d: Driver = { index: new DeltaIndex(model), kind: "groups", shape: GROUP_SHAPE };
    const replica = emptyReplica();
    const { link, pages } = fullRound(d, replica);
    assert.ok(pages >= 3, `expected the big group split over pages, got ${pages}`);
    assert.equal(replica.members.get("g-big")?.size, 2500);
    assert.deepEqual([...(replica.members.get("g-small") ?? [])], ["u1"]);
    assert.equal(replica.objects.get("g-big")?.["displayName"], "Big");

    // The same through an id filter, which reads the named objects instead of scanning.
    const filtered = emptyReplica();
    const byId = round(
      d,
      filtered,
      firstRound(
        "groups",
        { select: null, ids: ["g-small", "g-big"] },
        d.index.of("groups"),
        d.index.seq,
        1,
        0,
      ),
    );
    assert.ok(byId.pages >= 3);
    assert.equal(filtered.members.get("g-big")?.size, 2500);
    assert.equal(filtered.members.get("g-small")?.size, 1);

    model.removeMember("g-big", "u3");
    model.addMember("g-small", "u2");
    model.hardDelete("user", "u4");
    const later = nextRound(d, replica, link);
    assert.equal(later.items, 2);
    assert.equal(replica.members.get("g-big")?.size, 2498);
    assert.ok(!replica.members.get("g-big")?.has("u4"));
    assert.deepEqual([...(replica.members.get("g-small") ?? [])].sort(), ["u1", "u2"]);
  });

  it("keeps group members exact when membership changes while a split group is paged", () => {
    const model = newModel();
    const users = addUsers(model, 3000);
    model.insert("group", { id: "g", displayName: "G" });
    for (const id of users.slice(0, 2500)) model.addMember("g", id);
    let step = 0;
    const d: Driver = {
      index: new DeltaIndex(model),
      kind: "groups",
      shape: GROUP_SHAPE,
      between: () => {
        step += 1;
        model.removeMember("g", `u${step * 3}`);
        model.addMember("g", `u${2500 + step}`);
      },
    };
    const replica = emptyReplica();
    const { link } = fullRound(d, replica);
    d.between = undefined;
    nextRound(d, replica, link);
    assert.deepEqual([...(replica.members.get("g") ?? [])].sort(), [...model.membersOf("g")].sort());
  });

  // How fast pages are served at this size is a benchmark's figure (packages/graph-emulator/bench.ts).
  it("pages 100k users in one round, each once", () => {
    const model = newModel();
    addUsers(model, 100_000);
    const d: Driver = { index: new DeltaIndex(model), kind: "users", shape: USER_SHAPE };
    const replica = emptyReplica();
    const { items } = fullRound(d, replica);
    assert.equal(items, 100_000);
    assert.equal(replica.objects.size, 100_000);
  });
});
