/** The SQL target on SQLite and, where a server answers at 127.0.0.1:5432, PostgreSQL. */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import { isConnectorError } from "../src/errors.ts";
import { type Mapping, openTarget, parseMapping } from "../src/mapping/index.ts";
import { kinds, runMapping, user } from "./mapping-target-support.ts";

const PG_URL = process.env.MAPPING_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";

async function pgAnswers(): Promise<boolean> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}
const havePg = await pgAnswers();

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "mapping-sql-"));
});
after(() => rm(dir, { recursive: true, force: true }));

const ada = user("1", { userPrincipalName: "Ada@contoso.test", givenName: "Ada" });
const bob = user("2", { userPrincipalName: "bob@contoso.test", givenName: "Bob" });
const cy = user("3", { userPrincipalName: "cy@contoso.test", givenName: "Cy" });

interface Database {
  /** The `target:` line's settings. */
  where(): string;
  rows(): Promise<Record<string, unknown>[]>;
  /** How an attribute column holds `true` and a number. */
  truth: unknown;
  falsity: unknown;
  drop(): Promise<void>;
}

function sqlite(): Database {
  const path = join(dir, `${randomBytes(4).toString("hex")}.db`);
  return {
    where: () => `path: ${JSON.stringify(path)}, table: people`,
    async rows() {
      const db = new DatabaseSync(path, { readOnly: true });
      try {
        return db.prepare('SELECT * FROM people ORDER BY "_key"').all();
      } finally {
        db.close();
      }
    },
    truth: 1,
    falsity: 0,
    drop: async () => {},
  };
}

function postgres(): Database {
  const table = `people_${randomBytes(4).toString("hex")}`;
  const query = async (sql: string) => {
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    try {
      return (await client.query(sql)).rows as Record<string, unknown>[];
    } finally {
      await client.end();
    }
  };
  return {
    where: () => `url: ${PG_URL}, table: ${table}`,
    rows: () => query(`SELECT * FROM ${table} ORDER BY "_key"`),
    truth: "true",
    falsity: "false",
    drop: async () => {
      await query(`DROP TABLE IF EXISTS ${table}`);
    },
  };
}

function mapping(db: Database, extra = ""): Mapping {
  return parseMapping(
    `name: people
source: { users: { memberOf: [Staff] } }
match: [userName, externalId]
attributes:
  userName: "[userPrincipalName]"
  externalId: "[id]"
  name.givenName: "[givenName]"
  'odd"col?': "[givenName]"
  active: "[accountEnabled]"
${extra}target: { type: sql, ${db.where()} }
onLeave: { outOfScope: delete, disabled: disable }
`,
    "people.yaml",
  );
}

for (const [name, make, skip] of [
  ["SQLite", sqlite, false],
  ["PostgreSQL", postgres, !havePg],
] as const) {
  describe(`SQL target (${name})`, { skip: skip && "no PostgreSQL server answers" }, () => {
    it("creates the table, upserts rows with the run id, disables with a column and deletes rows", async () => {
      const db = make();
      try {
        const m = mapping(db);
        const first = await runMapping(m, [ada, bob, cy], openTarget(m, { runId: "run-1" }));
        assert.deepEqual(kinds(first), [
          "create:Ada@contoso.test",
          "create:bob@contoso.test",
          "create:cy@contoso.test",
        ]);
        assert.deepEqual(
          (await db.rows()).map((r) => [
            r._key,
            r.userName,
            r["name.givenName"],
            r['odd"col?'],
            r.active,
            r._run_id,
            r._disabled,
          ]),
          [
            ["ada@contoso.test", "Ada@contoso.test", "Ada", "Ada", db.truth, "run-1", 0],
            ["bob@contoso.test", "bob@contoso.test", "Bob", "Bob", db.truth, "run-1", 0],
            ["cy@contoso.test", "cy@contoso.test", "Cy", "Cy", db.truth, "run-1", 0],
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
          (await db.rows()).map((r) => [r._key, r["name.givenName"], r.active, r._run_id, r._disabled]),
          [
            ["ada@contoso.test", "Augusta", db.truth, "run-2", 0],
            ["bob@contoso.test", "Bob", db.falsity, "run-2", 1],
          ],
        );

        const third = await runMapping(
          m,
          [renamed, { ...bob, state: "disabled" }],
          openTarget(m, { runId: "run-3" }),
        );
        assert.deepEqual(kinds(third), ["skip:Ada@contoso.test", "skip:bob@contoso.test"]);
      } finally {
        await db.drop();
      }
    });

    it("lookups alone (a dry run) create no table", async () => {
      const db = make();
      try {
        const target = openTarget(mapping(db));
        assert.equal(await target.lookup([{ path: "externalId", value: "1" }]), undefined);
        await target.delete("nobody");
        await target.close();
        await assert.rejects(db.rows(), /no such table|does not exist/);
      } finally {
        await db.drop();
      }
    });

    it("finds rows by a later match attribute and adds columns for attributes the mapping gained", async () => {
      const db = make();
      try {
        await runMapping(mapping(db), [ada], openTarget(mapping(db)));
        const m = mapping(db, '  department: "[department]"\n');
        const target = openTarget(m);
        const found = await target.lookup([
          { path: "userName", value: "nobody@contoso.test" },
          { path: "externalId", value: "1" },
        ]);
        assert.equal(found?.id, "ada@contoso.test");
        await target.close();
        const plan = await runMapping(m, [user("1", { ...ada.data, department: "R&D" })], openTarget(m));
        assert.deepEqual(kinds(plan), ["update:Ada@contoso.test"]);
        assert.equal((await db.rows())[0]?.department, "R&D");
      } finally {
        await db.drop();
      }
    });
  });
}

describe("SQL target settings", () => {
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

  it("names a database it cannot reach without the password in its URL", async () => {
    const m = parseMapping(
      `name: x
source: { users: { memberOf: [S] } }
match: [userName]
attributes: { userName: "[upn]" }
target: { type: sql, url: "postgres://u:hunter2secret@127.0.0.1:1/db", table: people }
`,
      "x.yaml",
    );
    await assert.rejects(openTarget(m).lookup([{ path: "userName", value: "a" }]), (err: unknown) => {
      assert.ok(isConnectorError(err, "TARGET_WRITE_FAILED"));
      assert.ok(!JSON.stringify({ m: err.message, p: err.params }).includes("hunter2secret"));
      return true;
    });
  });
});
