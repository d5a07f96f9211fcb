/**
 * Every action, table-driven: bad input is refused before any request; without permission each one
 * names what is missing; reads ride out faults. (Per-action behaviour lives in the other test files.)
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ACTIONS, getAction, runAction } from "../src/index.ts";
import {
  code,
  fileHarness,
  PASSWORD,
  pick,
  type Snapshot,
  withFaults,
  withPermissions,
} from "./actions-emulator-support.ts";

const h = fileHarness();

/** A valid input for each action, from the tenant's snapshot. */
function validInputs(s: Snapshot): Record<string, Record<string, unknown>> {
  const user = pick.cloudUser(s, 1);
  const group = pick.securityGroup(s);
  const member = group.members[0]!;
  const domain = h.emu.tenantDomain;
  return {
    "add-group-owner": { group: group.id, owner: user.id },
    "add-remove-user-license": { user: user.id, addLicenses: ["POWER_BI_PRO"] },
    "add-user-to-group": { group: group.id, user: user.id },
    "create-group": { displayName: "Matrix Group" },
    "create-user": { displayName: "Matrix User", userPrincipalName: `matrix@${domain}`, password: PASSWORD },
    "delete-group": { group: group.id },
    "delete-user": { user: user.id },
    "disable-user": { user: user.id },
    "enable-user": {
      user: s.users.find((u) => u["accountEnabled"] === false && u["onPremisesSyncEnabled"] !== true)!.id,
    },
    "get-group": { group: group.id },
    "get-user": { user: user.id },
    "get-user-license": { user: user.id },
    "list-licenses": {},
    "remove-group-owner": { group: group.id, owner: user.id },
    "remove-user-from-group": { group: group.id, user: member },
    "reset-password": { user: user.id, password: PASSWORD },
    "restore-user": { user: s.deletedItems.find((d) => d["@odata.type"] === "#microsoft.graph.user")!.id },
    "revoke-sessions": { user: user.id },
    "search-group-members": { group: group.id },
    "search-transitive-group-members": { group: group.id },
    "search-users": { query: "a" },
    "update-group": { group: group.id, description: "matrix" },
    "update-user": { user: user.id, jobTitle: "Matrix" },
  };
}

test("the table covers every registered action", async () => {
  assert.deepEqual(Object.keys(validInputs(await h.snapshot())).sort(), ACTIONS.map((a) => a.name).sort());
});

describe("bad input is refused before any request", () => {
  const hostile = ["", 42, null, ["x"], { $ne: 1 }, "a\u0000b"];
  for (const action of ACTIONS) {
    test(action.name, async () => {
      const valid = validInputs(await h.snapshot())[action.name]!;
      const before = h.emu.stats().requests;
      await assert.rejects(
        runAction(action, { ...valid, unexpected: true }, h.deps()),
        code("INPUT_INVALID"),
      );
      for (const [key, value] of Object.entries(valid)) {
        const nullable = key === "description" || key === "jobTitle";
        const bads = hostile.filter((v) => typeof v !== typeof value || v === "" || v === "a\u0000b");
        for (const bad of bads.filter((v) => !(nullable && v === null))) {
          await assert.rejects(
            runAction(action, { ...valid, [key]: bad }, h.deps()),
            (err: unknown) => code("INPUT_INVALID")(err) && (err as Error).message.includes(key),
            `${action.name}.${key} = ${JSON.stringify(bad)}`,
          );
        }
        if (Object.keys(valid).length > 1 || key !== "query") {
          const { [key]: _missing, ...rest } = valid;
          if (action.input.safeParse(rest).success) continue;
          await assert.rejects(
            runAction(action, rest, h.deps()),
            code("INPUT_INVALID"),
            `${action.name} without ${key}`,
          );
        }
      }
      assert.equal(h.emu.stats().requests, before, "nothing was sent");
    });
  }
});

describe("without permission, each action names the permission it needs", () => {
  test("with read permissions: reads work, writes name their write permission", async () => {
    const inputs = validInputs(await h.snapshot());
    await withPermissions(h, "read", async () => {
      for (const action of ACTIONS) {
        const run = runAction(action, inputs[action.name], h.deps());
        if (!action.write) {
          await run;
          continue;
        }
        await assert.rejects(
          run,
          (err: unknown) => {
            code("PERMISSION_MISSING")(err);
            assert.ok(
              action.permissions.some((p) => (err as Error).message.includes(p)),
              (err as Error).message,
            );
            return true;
          },
          action.name,
        );
      }
    });
  });

  test("with none: reads name their read permission too", async () => {
    const inputs = validInputs(await h.snapshot());
    await withPermissions(h, [], async () => {
      for (const name of ["get-user", "get-group", "search-users", "list-licenses"]) {
        await assert.rejects(
          runAction(getAction(name), inputs[name], h.deps()),
          code("PERMISSION_MISSING"),
          name,
        );
      }
    });
  });
});

test("reads ride out random faults: the same answers as without faults", async () => {
  const inputs = validInputs(await h.snapshot());
  const reads = ACTIONS.filter((a) => !a.write);
  const readAll = async () => {
    const answers: unknown[] = [];
    for (const action of reads) answers.push(await runAction(action, inputs[action.name], h.deps()));
    return answers;
  };
  const clean = await readAll();
  const { graph } = h.deps();
  const retried = graph.stats().retries;
  await withFaults(h, { faultRate: 0.2 }, async () => {
    // The dice may spare a whole round; go on until a fault has been met (almost always the first).
    for (let round = 0; round < 10 && graph.stats().retries === retried; round++) {
      assert.deepEqual(await readAll(), clean);
    }
  });
  assert.ok(graph.stats().retries > retried, "faults were injected (and retried)");
});
