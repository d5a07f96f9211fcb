import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { after, before, describe, it } from "node:test";
import { isConnectorError } from "../src/errors.ts";
import { type Mapping, openTarget, parseMapping } from "../src/mapping/index.ts";
import { kinds, runMapping, user } from "./mapping-target-support.ts";

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "mapping-sql-"));
});
after(() => rm(dir, { recursive: true, force: true }));

function mapping(path: string, extra = ""): Mapping {
  return parseMapping(
    `name: people
source: { users: { memberOf: [Staff] } }
match: [userName, externalId]
attributes:
  userName: "[userPrincipalName]"
  externalId: "[id]"
  name.givenName: "[givenName]"
  'odd"col': "[givenName]"
  active: "[accountEnabled]"
${extra}target: { type: sql, path: ${JSON.stringify(path)}, table: people }
onLeave: { outOfScope: delete, disabled: disable }
`,
    "people.yaml",
  );
}

const ada = user("1", { userPrincipalName: "Ada@contoso.test", givenName: "Ada" });
const bob = user("2", { userPrincipalName: "bob@contoso.test", givenName: "Bob" });
const cy = user("3", { userPrincipalName: "cy@contoso.test", givenName: "Cy" });

function rows(path: string) {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    return db.prepare('SELECT * FROM people ORDER BY "_key"').all();
  } finally {
    db.close();
  }
}

describe("SQL target (SQLite)", () => {
  it("creates the table, upserts rows with the run id, disables with a column and deletes rows", async () => {
    const path = join(dir, "people.db");
    const m = mapping(path);
    const first = await runMapping(m, [ada, bob, cy], openTarget(m, { runId: "run-1" }));
    assert.deepEqual(kinds(first), [
      "create:Ada@contoso.test",
      "create:bob@contoso.test",
      "create:cy@contoso.test",
    ]);
    const created = rows(path);
    assert.deepEqual(
      created.map((r) => [
        r._key,
        r.userName,
        r["name.givenName"],
        r['odd"col'],
        r.active,
        r._run_id,
        r._disabled,
      ]),
      [
        ["ada@contoso.test", "Ada@contoso.test", "Ada", "Ada", 1, "run-1", 0],
        ["bob@contoso.test", "bob@contoso.test", "Bob", "Bob", 1, "run-1", 0],
        ["cy@contoso.test", "cy@contoso.test", "Cy", "Cy", 1, "run-1", 0],
      ],
    );

    const renamed = user("1", { userPrincipalName: "Ada@contoso.test", givenName: "Augusta" });
    const second = await runMapping(
      m,
      [renamed, { ...bob, state: "disabled" }, { ...cy, state: "outOfScope" }],
      openTarget(m, { runId: "run-2" }),
    );
    assert.deepEqual(kinds(second), [
      "update:Ada@contoso.test",
      "disable:bob@contoso.test",
      "delete:cy@contoso.test",
    ]);
    assert.deepEqual(
      rows(path).map((r) => [r._key, r["name.givenName"], r.active, r._run_id, r._disabled]),
      [
        ["ada@contoso.test", "Augusta", 1, "run-2", 0],
        ["bob@contoso.test", "Bob", 0, "run-2", 1],
      ],
    );

    const third = await runMapping(
      m,
      [renamed, { ...bob, state: "disabled" }],
      openTarget(m, { runId: "run-3" }),
    );
    assert.deepEqual(kinds(third), ["skip:Ada@contoso.test", "skip:bob@contoso.test"]);
  });

  it("finds rows by a later match attribute and adds columns for attributes the mapping gained", async () => {
    const path = join(dir, "grow.db");
    await runMapping(mapping(path), [ada], openTarget(mapping(path)));
    const m = mapping(path, '  department: "[department]"\n');
    const target = openTarget(m);
    const found = await target.lookup([
      { path: "userName", value: "nobody@contoso.test" },
      { path: "externalId", value: "1" },
    ]);
    assert.equal(found?.id, "ada@contoso.test");
    await target.close();
    const plan = await runMapping(m, [user("1", { ...ada.data, department: "R&D" })], openTarget(m));
    assert.deepEqual(kinds(plan), ["update:Ada@contoso.test"]);
    assert.equal(rows(path)[0]?.department, "R&D");
  });

  it("refuses a table name that is not a plain name when the mapping is loaded", () => {
    assert.throws(
      () =>
        parseMapping(
          `name: x
source: { users: { memberOf: [S] } }
match: [userName]
attributes: { userName: "[upn]" }
target: { type: sql, path: x.db, table: "people; DROP TABLE users" }
`,
          "x.yaml",
        ),
      (err: unknown) =>
        isConnectorError(err, "MAPPING_INVALID") &&
        /x\.yaml:5 target\.table: must be a plain table name/.test(err.message),
    );
  });
});
