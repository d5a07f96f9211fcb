import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { displayWidth } from "../src/log/terminal.ts";
import { openStore } from "../src/store/index.ts";
import { runStoreCli } from "./connection-support.ts";

// Directory data is written by whoever may edit a display name: these tests hold the store's output
// to that (spreadsheet formulas, terminal escapes, wide characters, names shared by several objects).
const dir = mkdtempSync(join(tmpdir(), "store-output-"));
const storePath = join(dir, "store.db");
after(() => rmSync(dir, { recursive: true, force: true }));

const FORMULA = "a1000000-0000-4000-8000-000000000001";
const ESCAPES = "a2000000-0000-4000-8000-000000000002";
const WIDE = "a3000000-0000-4000-8000-000000000003";
const ESCAPES_2 = "a6000000-0000-4000-8000-000000000006";
const SAM_1 = "a4000000-0000-4000-8000-000000000004";
const SAM_2 = "a5000000-0000-4000-8000-000000000005";
const OPS_1 = "c1000000-0000-4000-8000-000000000001";
const OPS_2 = "c2000000-0000-4000-8000-000000000002";
const PAYROLL = "d1000000-0000-4000-8000-000000000001";
const ADMIN_ROLE = "e1000000-0000-4000-8000-000000000001";
const GONE_ROLE = "e2000000-0000-4000-8000-000000000002";

const HYPERLINK = '=HYPERLINK("http://evil.test","click")';
/** An OSC 8 hyperlink, a screen clear and a bell: each would act on a terminal printed raw. */
const ESCAPE_NAME = "Mallory\x1b]8;;http://evil.test\x07link\x1b]8;;\x07\x1b[2J\r\x9b";

before(async () => {
  const store = await openStore(storePath);
  const run = await store.runs.start({ kind: "full", tenantId: "t1" });
  const user = (id: string, displayName: string, upn: string, department = "-Ops") => ({
    kind: "user" as const,
    id,
    data: { id, displayName, userPrincipalName: upn, department },
  });
  await store.sync.applyPage({
    runId: run.id,
    stream: "all",
    upserts: [
      user(FORMULA, HYPERLINK, "formula@contoso.com"),
      user(ESCAPES, ESCAPE_NAME, "mallory@contoso.com"),
      user(ESCAPES_2, ESCAPE_NAME, "mallory2@contoso.com"),
      user(WIDE, "山田太郎", "yamada@contoso.com"),
      user(SAM_1, "Sam Lee", "sam.lee@contoso.com"),
      user(SAM_2, "Sam Lee", "sam.lee2@contoso.com"),
      { kind: "group", id: OPS_1, data: { id: OPS_1, displayName: "Ops", mail: "ops@contoso.com" } },
      { kind: "group", id: OPS_2, data: { id: OPS_2, displayName: "Ops", mail: "ops-emea@contoso.com" } },
      {
        kind: "app",
        id: PAYROLL,
        data: {
          id: PAYROLL,
          displayName: "Payroll",
          appId: "payroll-client",
          appRoles: [{ id: ADMIN_ROLE, displayName: "Payroll Admin", value: "Payroll.Admin" }],
        },
      },
    ],
    edges: {
      add: [
        { relation: "group:member", objectId: OPS_1, principalId: WIDE, principalType: "user" },
        { relation: "group:member", objectId: OPS_1, principalId: ESCAPES, principalType: "user" },
        { relation: "group:member", objectId: OPS_1, principalId: FORMULA, principalType: "user" },
        {
          relation: "app:assigned",
          objectId: PAYROLL,
          principalId: WIDE,
          principalType: "user",
          qualifier: ADMIN_ROLE,
        },
        {
          relation: "app:assigned",
          objectId: PAYROLL,
          principalId: OPS_1,
          principalType: "group",
          qualifier: GONE_ROLE,
        },
      ],
    },
  });
  await store.runs.finish(run.id, { status: "succeeded" });
  const second = await store.runs.start({ kind: "incremental", tenantId: "t1" });
  await store.sync.applyPage({
    runId: second.id,
    stream: "users",
    upserts: [user(ESCAPES, ESCAPE_NAME, "mallory@contoso.com", "\x1b[31mRed")],
  });
  await store.runs.finish(second.id, { status: "failed", error: `could not read ${ESCAPE_NAME}` });
  await store.close();
});

const cli = (...argv: string[]) => runStoreCli(storePath, argv);

describe("CSV exports and spreadsheet formulas", () => {
  it("writes a formula-like display name as text, and as it is with --csv-raw", async () => {
    const safe = await cli("export", "--kind", "users", "--format", "csv");
    assert.equal(safe.code, 0, safe.err);
    const row = safe.out.split("\r\n").find((line) => line.startsWith(FORMULA));
    assert.equal(row, `${FORMULA},'-Ops,"'=HYPERLINK(""http://evil.test"",""click"")",formula@contoso.com`);
    const raw = await cli("export", "--kind", "users", "--format", "csv", "--csv-raw");
    assert.equal(raw.code, 0, raw.err);
    assert.ok(
      raw.out.includes(`${FORMULA},-Ops,"=HYPERLINK(""http://evil.test"",""click"")",formula@contoso.com`),
    );
    const jsonl = await cli("export", "--kind", "users");
    assert.ok(jsonl.out.includes(JSON.stringify(HYPERLINK)), "JSON lines carry the value unchanged");
  });
});

/** Any character a terminal would act on rather than show (newlines between lines aside). */
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

describe("directory text on a terminal", () => {
  it("resources, access, grants, diff and runs print control characters as visible escapes", async () => {
    const outputs = {
      resources: await cli("resources", "--kind", "user"),
      access: await cli("access", "mallory@contoso.com"),
      grants: await cli("grants", "--group", OPS_1),
      diff: await cli("diff", "1", "2"),
      runs: await cli("runs"),
    };
    for (const [command, { code, out, err }] of Object.entries(outputs)) {
      assert.equal(code, 0, `${command}: ${err}`);
      assert.doesNotMatch(out, RAW_CONTROL, `${command} printed a raw control character:\n${out}`);
      assert.doesNotMatch(err, RAW_CONTROL, command);
    }
    assert.match(outputs.resources.out, /Mallory\\x1b\]8;;http:\/\/evil\.test\\x07link/);
    assert.ok(outputs.access.out.startsWith("Mallory\\x1b]8;;"), outputs.access.out);
    assert.match(outputs.diff.out, /department "-Ops" → "\\u001b\[31mRed"/);
    assert.match(outputs.runs.out, /error: could not read Mallory\\x1b/);
  });

  it("JSON output escapes them too and still parses to the stored text", async () => {
    const outputs = [
      await cli("resources", "--kind", "user", "--json"),
      await cli("access", ESCAPES, "--json"),
      await cli("grants", "--group", OPS_1, "--json"),
      await cli("diff", "1", "2", "--json"),
      await cli("runs", "--json"),
    ];
    for (const { code, out, err } of outputs) {
      assert.equal(code, 0, err);
      assert.doesNotMatch(out.replaceAll("\n", ""), RAW_CONTROL);
    }
    const [resources, access] = outputs.map((o) => JSON.parse(o.out));
    assert.ok(resources.some((u: { displayName: string }) => u.displayName === ESCAPE_NAME));
    assert.equal(access.user.displayName, ESCAPE_NAME);
    const jsonl = await cli("export", "--kind", "users");
    assert.doesNotMatch(jsonl.out.replaceAll("\n", ""), RAW_CONTROL);
  });

  it("error messages listing directory names escape them, as text and as JSON", async () => {
    const text = await cli("access", ESCAPE_NAME);
    assert.equal(text.code, 2);
    assert.match(text.err, /OBJECT_AMBIGUOUS: 2 objects of kind user are named Mallory\\x1b/);
    assert.doesNotMatch(text.err.replaceAll("\n", ""), RAW_CONTROL);
    const json = await cli("access", ESCAPE_NAME, "--json");
    assert.doesNotMatch(json.err.replaceAll("\n", ""), RAW_CONTROL);
    assert.ok(JSON.parse(json.err).error.message.includes(`${ESCAPE_NAME} <mallory2@contoso.com>`));
  });
});

/** The terminal column where each line's last field ("direct" / "via …") starts. */
function pathColumns(out: string): number[] {
  return out
    .split("\n")
    .filter((line) => /\b(direct|via .*)$/.test(line))
    .map((line) => displayWidth(line.slice(0, line.search(/(direct|via .*)$/))));
}

describe("access and grants tables", () => {
  it("name app roles by the app's role names, falling back to the id when the app has no such role", async () => {
    const grants = await cli("grants", "--app", "Payroll");
    assert.equal(grants.code, 0, grants.err);
    assert.match(grants.out, /^app:role:Payroll Admin\s+user\s+山田太郎\s+direct$/m);
    assert.match(grants.out, new RegExp(`^app:role:${GONE_ROLE}\\s+group\\s+Ops\\s+direct$`, "m"));
    const access = await cli("access", "yamada@contoso.com");
    assert.match(access.out, /^ {2}Payroll\s+role:Payroll Admin\s+direct$/m);
    const json = JSON.parse((await cli("grants", "--app", "Payroll", "--json")).out);
    const byRole = new Map(
      json.grants.map((g: { qualifier: string; appRoleName?: string }) => [g.qualifier, g]),
    );
    assert.equal((byRole.get(ADMIN_ROLE) as { appRoleName?: string }).appRoleName, "Payroll Admin");
    assert.equal((byRole.get(GONE_ROLE) as { appRoleName?: string }).appRoleName, undefined);
  });

  it("align columns whatever the width of names, wide characters included", async () => {
    for (const argv of [
      ["grants", "--group", OPS_1],
      ["grants", "--app", "Payroll"],
      ["grants", "--user", "yamada@contoso.com"],
      ["access", "yamada@contoso.com"],
    ]) {
      const { code, out, err } = await cli(...argv);
      assert.equal(code, 0, err);
      const starts = pathColumns(out);
      assert.ok(starts.length >= 2, `${argv.join(" ")}: ${out}`);
      assert.equal(new Set(starts).size, 1, `${argv.join(" ")} is not aligned:\n${out}`);
    }
  });
});

describe("names several objects share", () => {
  it("are refused by access and grants, listing each candidate's id and principal name", async () => {
    const access = await cli("access", "Sam Lee");
    assert.equal(access.code, 2);
    assert.equal(access.out, "");
    assert.match(
      access.err,
      new RegExp(
        `^error OBJECT_AMBIGUOUS: 2 objects of kind user are named Sam Lee: Sam Lee <sam\\.lee@contoso\\.com> \\(id ${SAM_1}\\); Sam Lee <sam\\.lee2@contoso\\.com> \\(id ${SAM_2}\\)\\.`,
      ),
    );
    assert.match(access.err, /fix: Pass the id/);
    const grants = await cli("grants", "--group", "ops");
    assert.equal(grants.code, 2);
    assert.match(
      grants.err,
      new RegExp(`Ops <ops@contoso\\.com> \\(id ${OPS_1}\\); Ops <ops-emea@contoso\\.com> \\(id ${OPS_2}\\)`),
    );
    const json = await cli("grants", "--user", "Sam Lee", "--json");
    assert.equal(JSON.parse(json.err).error.code, "OBJECT_AMBIGUOUS");
    const byId = await cli("access", SAM_2);
    assert.equal(byId.code, 0, byId.err);
  });
});

describe("resources --filter", () => {
  it("refuses a property no stored object of the kind has, naming it and the known ones", async () => {
    const typo = await cli("resources", "--kind", "user", "--filter", "nosuchprop=1");
    assert.equal(typo.code, 2);
    assert.equal(typo.out, "");
    assert.match(
      typo.err,
      /^error STORE_INPUT_INVALID: filter "nosuchprop" names no property of the stored user objects: use one of department, displayName, id, userPrincipalName\./,
    );
    const json = await cli("resources", "--kind", "group", "--filter", "department=Ops", "--json");
    assert.equal(json.code, 2);
    assert.match(
      JSON.parse(json.err).error.message,
      /filter "department" .* use one of displayName, id, mail\./,
    );
    const known = await cli("resources", "--kind", "user", "--filter", "department=-Ops", "--json");
    assert.equal(known.code, 0, known.err);
    assert.equal(JSON.parse(known.out).length, 5, "all but the Mallory whose department run 2 changed");
    const noRoles = await cli("resources", "--kind", "role", "--filter", "anything=1");
    assert.equal(noRoles.code, 0, "no role is stored: nothing to check against, nothing matches");
  });
});
