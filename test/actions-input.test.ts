/**
 * Every string input of every action (grant and revoke included) refuses control characters, naming
 * the field, before any request is sent.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ACTIONS, describeAction } from "../src/actions/registry.ts";
import { runAction } from "../src/actions/runner.ts";
import type { ActionDefinition } from "../src/actions/types.ts";
import { isConnectorError } from "../src/errors.ts";
import { grantAction, revokeAction } from "../src/provisioning/grant.ts";
import { FakeGraph } from "./actions-support.ts";

interface Property {
  type?: string | string[];
  enum?: unknown[];
  anyOf?: Property[];
  items?: Property;
}

const isString = (p: Property): boolean =>
  p.enum === undefined &&
  (p.type === "string" || (Array.isArray(p.type) && p.type.includes("string")) || !!p.anyOf?.some(isString));

/** Top-level fields taking a string, and those taking a list of strings. */
function stringFields(def: ActionDefinition): { name: string; list: boolean }[] {
  const schema = describeAction(def).inputSchema as { properties?: Record<string, Property> };
  return Object.entries(schema.properties ?? {}).flatMap(([name, p]): { name: string; list: boolean }[] => {
    if (isString(p)) return [{ name, list: false }];
    if (p.type === "array" && p.items && isString(p.items)) return [{ name, list: true }];
    return [];
  });
}

/** Free text that may span lines; every other field is one line. */
const MULTILINE = new Set(["description", "membershipRule"]);

const BELL = "a\u0007b";
const CSI = "a\u009b31mb";
const NEWLINE = "a\nb";

describe("control characters in action inputs", () => {
  for (const def of [...ACTIONS, grantAction, revokeAction]) {
    const fields = stringFields(def);
    if (fields.length === 0) continue;
    test(`${def.name}: every string field refuses them, naming the field, sending nothing`, async () => {
      for (const { name, list } of fields) {
        const bad = MULTILINE.has(name) ? [BELL, CSI] : [BELL, CSI, NEWLINE];
        for (const value of bad) {
          const graph = new FakeGraph();
          const input = { [name]: list ? [value] : value };
          await assert.rejects(runAction(def, input, { graph, writesEnabled: true }), (err: unknown) => {
            assert.ok(isConnectorError(err, "INPUT_INVALID"), String(err));
            const field = list ? `${name}\\.0` : name;
            assert.match(
              (err as Error).message,
              new RegExp(`(^|: |; )${field}: must not contain control characters`),
              `${def.name}.${name} = ${JSON.stringify(value)}`,
            );
            return true;
          });
          assert.deepEqual(graph.requests, []);
        }
      }
    });
  }

  test("the fields checked are every string field of the input", () => {
    const create = ACTIONS.find((a) => a.name === "create-user")!;
    const names = stringFields(create).map((f) => f.name);
    for (const name of ["displayName", "givenName", "companyName", "mobilePhone", "password", "groups"]) {
      assert.ok(names.includes(name), name);
    }
  });

  test("multi-line text keeps its tabs and line breaks", async () => {
    const create = ACTIONS.find((a) => a.name === "create-group")!;
    const parsed = create.input.safeParse({ displayName: "Ops", description: "line 1\n\tline 2\r\n" });
    assert.ok(parsed.success, parsed.error?.message);
  });
});
