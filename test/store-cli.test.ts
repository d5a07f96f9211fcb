import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { runCli } from "../src/cli/program.ts";
import { openStore } from "../src/store/index.ts";
import { runStoreCli, textSink } from "./connection-support.ts";

const dir = mkdtempSync(join(tmpdir(), "store-cli-"));
const storePath = join(dir, "store.db");
after(() => rmSync(dir, { recursive: true, force: true }));

const ALICE = "a0000000-0000-4000-8000-000000000001";
const BOB = "b0000000-0000-4000-8000-000000000002";
const ENG = "e0000000-0000-4000-8000-00000000000e";
const PLATFORM = "f0000000-0000-4000-8000-00000000000f";
const PAYROLL = "c0000000-0000-4000-8000-00000000000c";
const SKU = "d0000000-0000-4000-8000-00000000000d";

before(async () => {
  const store = await openStore(storePath);
  const first = await store.runs.start({ kind: "full", tenantId: "t1" });
  await store.sync.applyPage({
    runId: first.id,
    stream: "all",
    upserts: [
      {
        kind: "user",
        id: ALICE,
        data: {
          id: ALICE,
          displayName: "Alice Ng",
          userPrincipalName: "alice@contoso.com",
          department: "Sales",
          accountEnabled: true,
        },
      },
      {
        kind: "user",
        id: BOB,
        data: {
          id: BOB,
          displayName: 'Bob "B", Jr',
          userPrincipalName: "bob@contoso.com",
          department: "Legal",
          accountEnabled: false,
        },
      },
      { kind: "group", id: ENG, data: { id: ENG, displayName: "Engineering" } },
      { kind: "group", id: PLATFORM, data: { id: PLATFORM, displayName: "Platform" } },
      { kind: "app", id: PAYROLL, data: { id: PAYROLL, displayName: "Payroll", appId: "payroll-client" } },
      { kind: "license", id: SKU, data: { id: SKU, skuId: SKU, skuPartNumber: "ENTERPRISEPACK" } },
    ],
    edges: {
      add: [
        { relation: "group:member", objectId: PLATFORM, principalId: ALICE, principalType: "user" },
        { relation: "group:member", objectId: ENG, principalId: PLATFORM, principalType: "group" },
        {
          relation: "app:assigned",
          objectId: PAYROLL,
          principalId: ENG,
          principalType: "group",
          qualifier: "role-admin",
        },
        { relation: "license:assigned", objectId: SKU, principalId: ALICE, principalType: "user" },
      ],
    },
  });
  await store.runs.finish(first.id, { status: "succeeded" });
  const second = await store.runs.start({ kind: "incremental", tenantId: "t1" });
  await store.sync.applyPage({
    runId: second.id,
    stream: "users",
    upserts: [
      {
        kind: "user",
        id: BOB,
        data: {
          id: BOB,
          displayName: 'Bob "B", Jr',
          userPrincipalName: "bob@contoso.com",
          department: "Ops",
          accountEnabled: false,
        },
      },
    ],
    edges: { add: [{ relation: "group:member", objectId: ENG, principalId: BOB, principalType: "user" }] },
    stats: { requests: 3, resourceUnits: 6 },
  });
  await store.runs.finish(second.id, { status: "succeeded" });
  await store.close();
});

const cli = (...argv: string[]) => runStoreCli(storePath, argv);

describe("store query commands (no Graph calls)", () => {
  it("resources filters by property and by text", async () => {
    const sales = await cli("resources", "--kind", "users", "--filter", "department=Sales", "--json");
    assert.equal(sales.code, 0, sales.err);
    assert.deepEqual(
      JSON.parse(sales.out).map((u: { id: string }) => u.id),
      [ALICE],
    );
    const disabled = await cli("resources", "--kind", "user", "--filter", "accountEnabled=false");
    assert.match(disabled.out, /bob@contoso\.com/);
    assert.doesNotMatch(disabled.out, /alice/);
    const text = await cli("resources", "--kind", "group", "--filter", "plat");
    assert.match(text.out, /Platform/);
    assert.doesNotMatch(text.out, /Engineering/);
    const bad = await cli("resources", "--kind", "people");
    assert.equal(bad.code, 2);
    assert.match(bad.err, /--kind must be one of user, group, app, role, license/);
  });

  it("access shows what a user has and through which groups", async () => {
    const result = await cli("access", "alice@contoso.com");
    assert.equal(result.code, 0, result.err);
    assert.match(result.out, /Engineering\s+member\s+via Platform/);
    assert.match(result.out, /Payroll\s+role:role-admin\s+via Platform > Engineering/);
    assert.match(result.out, /ENTERPRISEPACK\s+assigned\s+direct/);
    const json = JSON.parse((await cli("access", ALICE, "--json")).out);
    assert.equal(json.grants.length, 4);
    const missing = await cli("access", "nobody@contoso.com");
    assert.notEqual(missing.code, 0);
    assert.match(missing.err, /No user matches nobody@contoso\.com/);
  });

  it("grants lists who holds an app, nested groups expanded", async () => {
    const result = await cli("grants", "--app", "Payroll", "--json");
    assert.equal(result.code, 0, result.err);
    const grants = JSON.parse(result.out).grants as {
      principalId: string;
      path: { how: string; via: string[] };
    }[];
    assert.deepEqual(
      grants.map((g) => [g.principalId, g.path.how, g.path.via]),
      [
        [ENG, "direct", []],
        [BOB, "group", [ENG]],
        [PLATFORM, "group", [ENG]],
        [ALICE, "group", [PLATFORM, ENG]],
      ],
    );
    const both = await cli("grants", "--app", "Payroll", "--user", "x");
    assert.equal(both.code, 2);
    assert.match(both.err, /exactly one of/);
  });

  it("runs lists runs with figures, and diff shows what the later run changed", async () => {
    const runs = await cli("runs");
    assert.equal(runs.code, 0, runs.err);
    assert.match(runs.out, /^2\s+incremental\s+succeeded/m);
    const runsJson = JSON.parse((await cli("runs", "--json")).out);
    assert.equal(runsJson[0].stats.users.requests, 3);
    const diff = await cli("diff", "1", "2");
    assert.equal(diff.code, 0, diff.err);
    assert.equal(
      diff.out,
      [
        `~ user Bob "B", Jr: department "Legal" → "Ops"`,
        `+ group Engineering: group:member Bob "B", Jr (user)`,
        "",
      ].join("\n"),
    );
    const back = await cli("diff", "2", "1");
    assert.equal(back.code, 0, back.err);
    assert.equal(
      back.out,
      [
        `- group Engineering: group:member Bob "B", Jr (user)`,
        `~ user Bob "B", Jr: department "Ops" → "Legal"`,
        "",
      ].join("\n"),
      "going back from run 2 to run 1 undoes run 2's changes, newest first",
    );
    assert.equal(back.err, "1 removed, 1 updated from run 2 to run 1\n");
    const [undone] = JSON.parse((await cli("diff", "2", "1", "--json")).out).events;
    assert.equal(undone.type, "removed");
    const unknown = await cli("diff", "1", "7");
    assert.match(unknown.err, /Run 7 is not in the store/);
  });

  it("export streams issue-4 shapes as JSONL and CSV, to stdout or a file", async () => {
    const memberships = await cli("export", "--kind", "memberships");
    assert.equal(memberships.code, 0, memberships.err);
    assert.deepEqual(
      memberships.out
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l)),
      [
        { groupId: ENG, memberId: BOB, memberType: "user" },
        { groupId: ENG, memberId: PLATFORM, memberType: "group" },
        { groupId: PLATFORM, memberId: ALICE, memberType: "user" },
      ],
    );
    const file = join(dir, "users.csv");
    const csv = await cli("export", "--kind", "users", "--format", "csv", "--output", file);
    assert.equal(csv.code, 0, csv.err);
    assert.equal(
      readFileSync(file, "utf8"),
      "id,accountEnabled,department,displayName,userPrincipalName\r\n" +
        `${ALICE},true,Sales,Alice Ng,alice@contoso.com\r\n` +
        `${BOB},false,Ops,"Bob ""B"", Jr",bob@contoso.com\r\n`,
    );
    const licences = await cli("export", "--kind", "license-assignments", "--format", "csv");
    assert.equal(licences.out, `userId,skuId\r\n${ALICE},${SKU}\r\n`);
    const badFormat = await cli("export", "--kind", "users", "--format", "xml");
    assert.equal(badFormat.code, 2);
    const badDir = await cli("export", "--kind", "users", "--output", join(dir, "no", "such", "x.csv"));
    assert.equal(badDir.code, 2);
    assert.match(badDir.err, /--output .* cannot be written/);
  });

  it("refuses to invent an empty store for a query", async () => {
    const out = textSink();
    const err = textSink();
    const code = await runCli(["runs"], {
      stdout: out.stream,
      stderr: err.stream,
      env: { ENTRA_STORE: join(dir, "missing.db") },
      signal: new AbortController().signal,
    });
    assert.equal(code, 2);
    assert.match(err.text(), /There is no store at .*missing\.db/);
  });
});
