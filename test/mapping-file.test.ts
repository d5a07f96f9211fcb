import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { isConnectorError } from "../src/errors.ts";
import { openTarget, parseMapping } from "../src/mapping/index.ts";
import { kinds, runMapping, user } from "./mapping-target-support.ts";

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "mapping-file-"));
});
after(() => rm(dir, { recursive: true, force: true }));

function mapping(format: "csv" | "jsonl", path: string) {
  return parseMapping(
    `name: roster
source: { users: { memberOf: [Staff] } }
match: [userName]
attributes:
  userName: "[userPrincipalName]"
  displayName: "[displayName]"
  name.givenName: "[givenName]"
  active: "[accountEnabled]"
target: { type: file, format: ${format}, path: ${JSON.stringify(path)} }
onLeave: delete
`,
    "roster.yaml",
  );
}

const ada = user("1", { userPrincipalName: "ada@contoso.test", displayName: "Ada", givenName: "Ada" });
const eve = user("2", {
  userPrincipalName: "eve@contoso.test",
  displayName: '=HYPERLINK("http://evil.test","x")',
  givenName: "Eve",
});
const bob = user("3", { userPrincipalName: "bob@contoso.test", displayName: "Bob, Jr.", givenName: "Bob" });

describe("file target", () => {
  it("writes a CSV snapshot with formulas neutralised, then counts the next run against it", async () => {
    const path = join(dir, "roster.csv");
    const m = mapping("csv", path);
    const first = await runMapping(m, [ada, eve, bob], openTarget(m));
    assert.deepEqual(kinds(first), [
      "create:ada@contoso.test",
      "create:eve@contoso.test",
      "create:bob@contoso.test",
    ]);
    const text = await readFile(path, "utf8");
    assert.equal(
      text,
      "userName,displayName,name.givenName,active\r\n" +
        "ada@contoso.test,Ada,Ada,true\r\n" +
        'bob@contoso.test,"Bob, Jr.",Bob,true\r\n' +
        `eve@contoso.test,"'=HYPERLINK(""http://evil.test"",""x"")",Eve,true\r\n`,
    );

    const renamed = user("1", {
      userPrincipalName: "ada@contoso.test",
      displayName: "Ada L.",
      givenName: "Ada",
    });
    const second = await runMapping(m, [renamed, eve, { ...bob, state: "outOfScope" }], openTarget(m));
    assert.deepEqual(kinds(second), [
      "update:ada@contoso.test",
      "skip:eve@contoso.test",
      "delete:bob@contoso.test",
    ]);
    const lines = (await readFile(path, "utf8")).trim().split("\r\n");
    assert.deepEqual(lines.slice(1), [
      "ada@contoso.test,Ada L.,Ada,true",
      `eve@contoso.test,"'=HYPERLINK(""http://evil.test"",""x"")",Eve,true`,
    ]);
    assert.deepEqual(
      (await readdir(dir)).filter((f) => f.endsWith(".tmp")),
      [],
      "no temporary file is left behind",
    );
  });

  it("writes JSON lines that keep types and nesting, and disables with active false", async () => {
    const path = join(dir, "roster.jsonl");
    const m = { ...mapping("jsonl", path), onLeave: "disable" as const };
    await runMapping(m, [ada, bob], openTarget(m));
    const second = await runMapping(m, [ada, { ...bob, state: "disabled" }], openTarget(m));
    assert.deepEqual(kinds(second), ["skip:ada@contoso.test", "disable:bob@contoso.test"]);
    const records = (await readFile(path, "utf8"))
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    assert.deepEqual(records[1], {
      userName: "bob@contoso.test",
      displayName: "Bob, Jr.",
      name: { givenName: "Bob" },
      active: false,
    });
  });

  it("lookups alone (a dry run) leave no file", async () => {
    const path = join(dir, "dry.csv");
    const target = openTarget(mapping("csv", path));
    assert.equal(await target.lookup([{ path: "userName", value: "ada@contoso.test" }]), undefined);
    await target.close();
    assert.ok(!(await readdir(dir)).includes("dry.csv"));
  });

  it("fails as TARGET_WRITE_FAILED when the folder does not exist, leaving nothing", async () => {
    const path = join(dir, "missing", "out.csv");
    const m = mapping("csv", path);
    await assert.rejects(runMapping(m, [ada], openTarget(m)), (err: unknown) =>
      isConnectorError(err, "TARGET_WRITE_FAILED"),
    );
  });
});
