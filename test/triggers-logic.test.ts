/** Pure trigger logic: which events a change causes, their ids, type patterns, filters, signatures, timing. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { backoffMs } from "../src/common/retry-after.ts";
import type { ChangeEvent } from "../src/store/types.ts";
import { deriveEvents, eventId } from "../src/triggers/derive.ts";
import {
  matchesFilter,
  parseFilter,
  parseTypes,
  type SubjectLookup,
  typeSet,
} from "../src/triggers/match.ts";
import { sign, verifySignature } from "../src/triggers/signing.ts";
import type { TriggerEvent } from "../src/triggers/types.ts";

function change(partial: Partial<ChangeEvent>): ChangeEvent {
  return {
    seq: 7,
    id: "c-1",
    type: "created",
    kind: "user",
    resourceId: "u1",
    data: { id: "u1", department: "Sales" },
    runId: "run-1",
    tenantId: "t-1",
    detectedAt: "2026-01-01T00:00:00.000Z",
    ...partial,
  };
}

const types = (c: ChangeEvent) => deriveEvents(c).map((e) => e.type);

describe("deriveEvents", () => {
  it("maps created and updated users and groups, with changes as property → old/new", () => {
    assert.deepEqual(types(change({})), ["user.created"]);
    assert.deepEqual(types(change({ kind: "group", type: "created" })), ["group.created"]);
    const [updated] = deriveEvents(
      change({ type: "updated", changes: [{ property: "jobTitle", old: "A", new: "B" }] }),
    );
    assert.equal(updated?.type, "user.updated");
    assert.deepEqual(updated?.changes, { jobTitle: { old: "A", new: "B" } });
    assert.deepEqual(updated?.resource, { kind: "user", id: "u1" });
    assert.equal(updated?.seq, 7);
    assert.equal(updated?.runId, "run-1");
  });

  it("adds user.disabled / user.enabled to the update that flips accountEnabled", () => {
    const flip = (old: unknown, now: unknown) =>
      types(change({ type: "updated", changes: [{ property: "accountEnabled", old, new: now }] }));
    assert.deepEqual(flip(true, false), ["user.updated", "user.disabled"]);
    assert.deepEqual(flip(false, true), ["user.updated", "user.enabled"]);
    assert.deepEqual(flip(null, true), ["user.updated"]);
  });

  it("tells soft-deleted (restorable) from permanently deleted, without Graph's annotation in data", () => {
    const soft = deriveEvents(
      change({ type: "deleted", data: { id: "u1", "@removed": { reason: "changed" } } }),
    );
    assert.equal(soft[0]?.type, "user.deleted");
    assert.equal(soft[0]?.deletion, "soft");
    assert.deepEqual(soft[0]?.data, { id: "u1" });
    const hard = deriveEvents(
      change({ kind: "group", type: "deleted", data: { id: "g1", "@removed": { reason: "deleted" } } }),
    );
    assert.equal(hard[0]?.type, "group.deleted");
    assert.equal(hard[0]?.deletion, "permanent");
  });

  it("maps relationship changes; licences are about the user; app owners and other kinds cause nothing", () => {
    const edge = (relation: string, type: "added" | "removed", kind: ChangeEvent["kind"], objectId: string) =>
      deriveEvents(
        change({
          type,
          kind,
          resourceId: objectId,
          data: { relation, entitlement: relation, principalId: "u1", principalType: "user", qualifier: "" },
        }),
      );
    assert.equal(edge("group:member", "added", "group", "g1")[0]?.type, "group.member.added");
    assert.equal(edge("group:member", "removed", "group", "g1")[0]?.type, "group.member.removed");
    assert.equal(edge("group:owner", "added", "group", "g1")[0]?.type, "group.owner.added");
    assert.equal(edge("role:assigned", "added", "role", "r1")[0]?.type, "role.assigned");
    assert.equal(edge("role:eligible", "removed", "role", "r1")[0]?.type, "role.removed");
    assert.equal(edge("app:assigned", "removed", "app", "sp1")[0]?.type, "app.removed");
    const [licence] = edge("license:assigned", "added", "license", "sku1");
    assert.equal(licence?.type, "user.license.assigned");
    assert.deepEqual(licence?.resource, { kind: "user", id: "u1" });
    assert.equal(licence?.data["objectId"], "sku1");
    assert.deepEqual(edge("app:owner", "added", "app", "sp1"), []);
    assert.deepEqual(types(change({ kind: "app", type: "created" })), []);
  });

  it("derives the same UUID-shaped id for the same change and type, different ones otherwise", () => {
    const a = deriveEvents(change({}))[0]?.id;
    assert.equal(a, deriveEvents(change({}))[0]?.id);
    assert.match(a ?? "", /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.notEqual(eventId("c-1", "user.updated"), eventId("c-1", "user.disabled"));
    assert.notEqual(eventId("c-1", "user.created"), eventId("c-2", "user.created"));
  });
});

describe("type patterns and filters", () => {
  it("parses | and , lists and prefix wildcards; rejects unknown types naming the choices", () => {
    assert.deepEqual([...typeSet(parseTypes("user.created|user.updated"))], ["user.created", "user.updated"]);
    assert.ok(typeSet(parseTypes("group.*")).has("group.member.removed"));
    assert.equal(typeSet(parseTypes(undefined)).size, 18);
    assert.throws(
      () => parseTypes("user.create"),
      /--types: "user.create" is not a trigger type; use one of user.created/,
    );
  });

  it("parses --filter key=value and memberOf, rejecting malformed items", () => {
    assert.deepEqual(parseFilter(["department=Sales", "memberOf=g1"]), {
      where: { department: "Sales" },
      memberOf: "g1",
    });
    assert.throws(() => parseFilter(["Sales"]), /--filter: "Sales" is not key=value/);
  });

  it("filters on the subject's properties and group membership", async () => {
    const lookup: SubjectLookup = {
      async object(id) {
        return id === "u2" ? { department: "Sales" } : { department: "HR" };
      },
      async isMember(groupId, principalId) {
        return groupId === "g1" && principalId === "u1";
      },
    };
    const [created] = deriveEvents(change({})) as [TriggerEvent];
    assert.equal(await matchesFilter(created, { where: { department: "Sales" } }, lookup), true);
    assert.equal(await matchesFilter(created, { where: { department: "HR" } }, lookup), false);
    assert.equal(await matchesFilter(created, { memberOf: "g1" }, lookup), true);
    assert.equal(await matchesFilter(created, { memberOf: "g2" }, lookup), false);
    const [added] = deriveEvents(
      change({
        type: "added",
        kind: "group",
        resourceId: "g9",
        data: { relation: "group:member", principalId: "u2", principalType: "user", qualifier: "" },
      }),
    ) as [TriggerEvent];
    // A relationship's subject is its principal, looked up in the store.
    assert.equal(await matchesFilter(added, { where: { department: "Sales" } }, lookup), true);
    assert.equal(await matchesFilter(added, { memberOf: "g9" }, lookup), true);
  });
});

describe("signatures and timing", () => {
  it("verifies its own signatures; rejects a changed body, another secret, or an old timestamp", () => {
    const now = 1_800_000_000;
    const signature = sign("s3cret", now, '{"a":1}');
    assert.match(signature, /^v1=[0-9a-f]{64}$/);
    assert.equal(verifySignature("s3cret", String(now), '{"a":1}', signature, { nowS: now }), true);
    assert.equal(verifySignature("s3cret", String(now), '{"a":2}', signature, { nowS: now }), false);
    assert.equal(verifySignature("other", String(now), '{"a":1}', signature, { nowS: now }), false);
    assert.equal(verifySignature("s3cret", String(now), '{"a":1}', signature, { nowS: now + 301 }), false);
  });

  it("backs off exponentially with jitter under a cap", () => {
    const policy = { baseMs: 100, maxMs: 1000 };
    assert.equal(
      backoffMs(1, policy, () => 1),
      100,
    );
    assert.equal(
      backoffMs(3, policy, () => 0),
      200,
    );
    assert.equal(
      backoffMs(20, policy, () => 1),
      1000,
    );
  });
});
