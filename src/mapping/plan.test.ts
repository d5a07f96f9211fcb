import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createError, isConnectorError } from "../errors.ts";
import { type Mapping, mappingSchema } from "./definition.ts";
import { getPath, setPath } from "./path.ts";
import {
  type CompileExpression,
  compileAttributes,
  type PlanAction,
  type PlanInput,
  type PlanUser,
  planProvisioning,
  type TargetRecord,
} from "./plan.ts";

/** Understands `[property]` and `"constant"` only, which is all these tests need. */
const compile: CompileExpression = (text) => {
  const property = /^\[(\w+)\]$/.exec(text);
  if (property) return { references: [property[1]!], evaluate: (source) => source[property[1]!] };
  const constant = /^"(.*)"$/.exec(text);
  if (constant) return { references: [], evaluate: () => constant[1] };
  throw createError("MAPPING_EXPRESSION_INVALID", { position: "1", problem: `cannot read ${text}` });
};

function mapping(overrides: Partial<Record<keyof Mapping, unknown>> = {}): Mapping {
  return mappingSchema.parse({
    name: "assets",
    source: { users: { memberOf: ["Finance"] } },
    match: ["userName"],
    attributes: {
      userName: "[mail]",
      "name.givenName": "[givenName]",
      active: "[accountEnabled]",
      externalId: "[id]",
    },
    target: { type: "scim", url: "http://127.0.0.1:8080/scim/v2", token: "t" },
    ...overrides,
  });
}

function user(id: string, data: Record<string, unknown> = {}, state: PlanUser["state"] = "active"): PlanUser {
  return {
    id,
    state,
    data: { id, mail: `${id}@contoso.com`, givenName: id.toUpperCase(), accountEnabled: true, ...data },
  };
}

function record(id: string, attributes: Record<string, unknown>): TargetRecord {
  return { id, attributes };
}

/** The target's copy of `user` as a create would have written it. */
function provisioned(targetId: string, of: PlanUser, extra: Record<string, unknown> = {}): TargetRecord {
  return record(targetId, {
    userName: of.data["mail"],
    name: { givenName: of.data["givenName"] },
    active: true,
    externalId: of.id,
    ...extra,
  });
}

function plan(input: Partial<PlanInput> & { users: PlanUser[] }, definition = mapping()) {
  return planProvisioning({
    mapping: definition,
    attributes: compileAttributes(definition, compile),
    targets: [],
    ...input,
  });
}

function only(actions: PlanAction[]): PlanAction {
  assert.equal(actions.length, 1, JSON.stringify(actions));
  return actions[0]!;
}

describe("attribute paths", () => {
  it("builds nested objects and reads them back", () => {
    const target = setPath(setPath({}, "name.givenName", "Ann"), "name.familyName", "Lee");
    assert.deepEqual(target, { name: { givenName: "Ann", familyName: "Lee" } });
    assert.equal(getPath(target, "name.familyName"), "Lee");
    assert.equal(getPath(target, "name.middleName"), undefined);
    assert.equal(getPath({ name: "flat" }, "name.givenName"), undefined);
  });
});

describe("provisioning plan", () => {
  it("creates a user the target does not have, with nested attributes", () => {
    const action = only(plan({ users: [user("ann")] }).actions);
    assert.deepEqual(action, {
      userId: "ann",
      key: "ann@contoso.com",
      kind: "create",
      reason: "inScope",
      attributes: {
        userName: "ann@contoso.com",
        name: { givenName: "ANN" },
        active: true,
        externalId: "ann",
      },
    });
  });

  it("updates only the changed attributes, old to new", () => {
    const ann = user("ann", { givenName: "Anne" });
    const action = only(plan({ users: [ann], targets: [provisioned("t1", user("ann"))] }).actions);
    assert.equal(action.kind, "update");
    assert.deepEqual(action.kind === "update" && action.changes, [
      { path: "name.givenName", old: "ANN", new: "Anne" },
    ]);
    assert.equal(action.kind === "update" && action.targetId, "t1");
  });

  it("skips a user whose record is up to date", () => {
    const ann = user("ann");
    const action = only(plan({ users: [ann], targets: [provisioned("t1", ann)] }).actions);
    assert.equal(action.kind, "skip");
    assert.equal(action.reason, "upToDate");
  });

  it("sets onCreate attributes and defaults on create but never updates onCreate ones", () => {
    const definition = mapping({
      attributes: {
        userName: "[mail]",
        "name.givenName": { value: "[givenName]", apply: "onCreate" },
        title: { value: "[jobTitle]", default: "Staff" },
      },
    });
    const created = only(plan({ users: [user("ann")] }, definition).actions);
    assert.deepEqual(created.kind === "create" && created.attributes, {
      userName: "ann@contoso.com",
      name: { givenName: "ANN" },
      title: "Staff",
    });
    const target = record("t1", {
      userName: "ann@contoso.com",
      name: { givenName: "Someone else" },
      title: "Staff",
    });
    assert.equal(
      only(plan({ users: [user("ann")], targets: [target] }, definition).actions).reason,
      "upToDate",
    );
  });

  it("clears an attribute whose source became null", () => {
    const ann = user("ann", { givenName: null });
    const action = only(plan({ users: [ann], targets: [provisioned("t1", user("ann"))] }).actions);
    assert.deepEqual(action.kind === "update" && action.changes, [
      { path: "name.givenName", old: "ANN", new: null },
    ]);
  });

  it("disables a user who left scope or was disabled, once", () => {
    for (const state of ["outOfScope", "disabled", "softDeleted"] as const) {
      const ann = user("ann", {}, state);
      const action = only(plan({ users: [ann], targets: [provisioned("t1", ann)] }).actions);
      assert.deepEqual(action, {
        userId: "ann",
        key: "ann@contoso.com",
        kind: "disable",
        reason: state,
        targetId: "t1",
      });
    }
    const ann = user("ann", {}, "disabled");
    const again = only(plan({ users: [ann], targets: [provisioned("t1", ann, { active: false })] }).actions);
    assert.equal(again.reason, "alreadyDisabled");
  });

  it("deletes a hard-deleted user and follows onLeave per reason", () => {
    const gone = user("ann", {}, "hardDeleted");
    assert.equal(only(plan({ users: [gone], targets: [provisioned("t1", gone)] }).actions).kind, "delete");
    const out = user("ann", {}, "outOfScope");
    const deleting = mapping({ onLeave: { outOfScope: "delete" } });
    assert.equal(
      only(plan({ users: [out], targets: [provisioned("t1", out)] }, deleting).actions).kind,
      "delete",
    );
  });

  it("leaves records alone when onLeave is ignore", () => {
    const ann = user("ann", {}, "hardDeleted");
    const action = only(
      plan({ users: [ann], targets: [provisioned("t1", ann)] }, mapping({ onLeave: "ignore" })).actions,
    );
    assert.equal(action.kind, "skip");
    assert.equal(action.reason, "ignored");
  });

  it("skips a leaving user the target never had", () => {
    assert.equal(only(plan({ users: [user("ann", {}, "disabled")] }).actions).reason, "notProvisioned");
  });

  it("skips and reports a user whose key is blank", () => {
    for (const mail of [null, "", "  "]) {
      const action = only(plan({ users: [user("ann", { mail })] }).actions);
      assert.equal(action.kind, "skip");
      assert.equal(action.reason, "blankKey");
      assert.match(action.kind === "skip" ? action.detail : "", /userName is blank/);
    }
  });

  it("reports both users that map to one key and pushes neither", () => {
    const result = plan({
      users: [
        user("ann", { mail: "shared@contoso.com" }),
        user("bob", { mail: "Shared@Contoso.com" }),
        user("cy"),
      ],
    });
    const [ann, bob, cy] = result.actions;
    for (const action of [ann!, bob!]) {
      assert.equal(action.kind, "skip");
      assert.equal(action.reason, "duplicateKey");
      assert.match(action.kind === "skip" ? action.detail : "", /ann, bob/);
    }
    assert.equal(cy!.kind, "create");
  });

  it("reports two users that match one target record through different attributes", () => {
    const definition = mapping({ match: ["userName", "externalId"] });
    const target = record("t1", { userName: "ann@contoso.com", externalId: "bob" });
    const result = plan({ users: [user("ann"), user("bob")], targets: [target] }, definition);
    assert.deepEqual(
      result.actions.map((action) => action.reason),
      ["duplicateKey", "duplicateKey"],
    );
  });

  it("refuses a key that matches two target records", () => {
    const targets = [
      record("t1", { userName: "ann@contoso.com" }),
      record("t2", { userName: "ANN@contoso.com" }),
    ];
    const action = only(plan({ users: [user("ann")], targets }).actions);
    assert.equal(action.reason, "ambiguousMatch");
  });

  it("matches by the match attributes in precedence order", () => {
    const definition = mapping({ match: ["userName", "externalId"] });
    const ann = user("ann");
    const byId = record("t-id", { userName: "old@contoso.com", externalId: "ann" });
    const byName = record("t-name", { userName: "ann@contoso.com", externalId: "someone" });
    const first = only(plan({ users: [ann], targets: [byId, byName] }, definition).actions);
    assert.equal(first.kind === "update" && first.targetId, "t-name");
    const fallback = only(plan({ users: [ann], targets: [byId] }, definition).actions);
    assert.equal(fallback.kind === "update" && fallback.targetId, "t-id");
    assert.deepEqual(fallback.kind === "update" && fallback.changes[0], {
      path: "userName",
      old: "old@contoso.com",
      new: "ann@contoso.com",
    });
  });

  it("matches e-mail addresses and userName case-insensitively, other values exactly", () => {
    const ann = user("ann", { mail: "Ann@Contoso.com" });
    const action = only(plan({ users: [ann], targets: [provisioned("t1", user("ann"))] }).actions);
    assert.equal(action.kind, "update", "matched despite case; the new casing is pushed");
    const definition = mapping({ match: ["externalId"] });
    const other = only(
      plan({ users: [user("ann")], targets: [record("t1", { externalId: "ANN" })] }, definition).actions,
    );
    assert.equal(other.kind, "create");
  });

  it("holds disables and deletes beyond the threshold unless deletes are allowed", () => {
    const leavers = ["a", "b", "c"].map((id) => user(id, {}, "outOfScope"));
    const targets = leavers.map((entry) => provisioned(`t-${entry.id}`, entry));
    const definition = mapping({ deletionThreshold: 2 });
    const users = [...leavers, user("new")];
    const held = plan({ users, targets }, definition);
    assert.deepEqual(held.threshold, { limit: 2, count: 3, exceeded: true, allowed: false });
    assert.deepEqual(
      held.held.map((action) => action.userId),
      ["a", "b", "c"],
    );
    assert.deepEqual(
      held.actions.map((action) => action.kind),
      ["create"],
    );
    const allowed = plan({ users, targets, allowDeletes: true }, definition);
    assert.equal(allowed.held.length, 0);
    assert.deepEqual(
      allowed.actions.map((action) => action.kind),
      ["disable", "disable", "disable", "create"],
    );
    const within = plan({ users: leavers.slice(0, 2), targets }, definition);
    assert.equal(within.threshold.exceeded, false);
    assert.equal(within.actions.length, 2);
  });

  it("takes a percentage threshold of the records the target holds", () => {
    const leavers = ["a", "b"].map((id) => user(id, {}, "disabled"));
    const targets = leavers.map((entry) => provisioned(`t-${entry.id}`, entry));
    const definition = mapping({ deletionThreshold: "10%" });
    assert.equal(plan({ users: leavers, targets, provisioned: 10 }, definition).held.length, 2);
    assert.equal(plan({ users: leavers, targets, provisioned: 20 }, definition).held.length, 0);
  });

  it("skips a user whose attributes cannot be evaluated, and goes on", () => {
    const failing: CompileExpression = (text) =>
      text === "[givenName]"
        ? {
            references: [],
            evaluate: (source) => {
              if (source["id"] === "bad") throw new Error("Coalesce needs an argument");
              return source["givenName"];
            },
          }
        : compile(text);
    const definition = mapping();
    const result = planProvisioning({
      mapping: definition,
      attributes: compileAttributes(definition, failing),
      users: [user("bad"), user("ann")],
      targets: [],
    });
    assert.deepEqual(
      result.actions.map((action) => action.reason),
      ["mappingFailed", "inScope"],
    );
  });

  it("passes isUnique to the expressions", () => {
    const seen: unknown[] = [];
    const unique: CompileExpression = (text) => ({
      references: [],
      evaluate: (source, options) => {
        seen.push(options?.isUnique?.(source["id"]));
        return compile(text).evaluate(source);
      },
    });
    const definition = mapping();
    planProvisioning({
      mapping: definition,
      attributes: compileAttributes(definition, unique),
      users: [user("ann")],
      targets: [],
      isUnique: (value) => value === "ann",
    });
    assert.ok(seen.length > 0 && seen.every((value) => value === true));
  });

  it("names the attribute whose expression does not compile", () => {
    try {
      compileAttributes(mapping({ attributes: { userName: "Nope(" } }), compile);
      assert.fail("expected MAPPING_INVALID");
    } catch (err) {
      assert.ok(isConnectorError(err) && err.code === "MAPPING_INVALID");
      assert.match(err.message, /assets attributes\.userName: .*cannot read Nope\(/);
    }
  });

  it("matches a linked user to its record even when the key changed", () => {
    const ann = user("ann", { mail: "ann.new@contoso.com" });
    const action = only(
      plan({ users: [ann], targets: [provisioned("t1", user("ann"))], links: new Map([["ann", "t1"]]) })
        .actions,
    );
    assert.equal(action.kind, "update");
    assert.deepEqual(action.kind === "update" && action.changes, [
      { path: "userName", old: "ann@contoso.com", new: "ann.new@contoso.com" },
    ]);
  });

  it("does not take over a record linked to another user who is not planned", () => {
    const bob = user("bob", { mail: "ann@contoso.com" });
    const action = only(
      plan({ users: [bob], targets: [provisioned("t1", user("ann"))], links: new Map([["ann", "t1"]]) })
        .actions,
    );
    assert.equal(action.kind, "skip");
    assert.equal(action.reason, "duplicateKey");
    assert.match(action.kind === "skip" ? action.detail : "", /belongs to user ann/);
  });
});
