/** `mapping run`, `mapping logs` and `mapping validate`, in-process, over the emulator's tenant and SCIMMY. */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { runCli } from "../src/cli/program.ts";
import { EXAMPLE } from "../src/mapping/test-support.ts";
import { textSink } from "./connection-support.ts";
import {
  activeRecords,
  addExampleGroups,
  type ExampleTenant,
  expectedActive,
  sorted,
} from "./mapping-support.ts";
import { type ScimServer, startScimServer } from "./support/scim-server.ts";
import { type Harness, startHarness } from "./sync-support.ts";

let harness: Harness;
let scim: ScimServer;
let groups: ExampleTenant;
let file: string;

async function cli(...argv: string[]) {
  const out = textSink();
  const err = textSink();
  const code = await runCli(argv, {
    stdout: out.stream,
    stderr: err.stream,
    env: { ENTRA_STORE: harness.env["ENTRA_STORE"], ASSETS_SCIM_TOKEN: scim.token },
    signal: new AbortController().signal,
  });
  return { code, out: out.text(), err: err.text() };
}

before(async () => {
  harness = await startHarness({ size: "s", seed: 5 });
  groups = addExampleGroups(harness);
  await harness.sync({ full: true });
  scim = await startScimServer();
  file = join(harness.dir, "assets.yaml");
  writeFileSync(file, EXAMPLE.replace("http://127.0.0.1:8080/scim/v2", scim.url));
});

after(async () => {
  await scim.close();
  await harness.close();
});

describe("mapping commands", () => {
  it("validate accepts the documented example and names the line of a mistake", async () => {
    const ok = await cli("mapping", "validate", file);
    assert.equal(ok.code, 0, ok.err);
    assert.match(ok.out, /mapping assets is valid: 6 attributes, matched on userName, scim target/);
    const bad = join(harness.dir, "bad.yaml");
    writeFileSync(bad, EXAMPLE.replace("onLeave:", "onLeve:"));
    const refused = await cli("mapping", "validate", bad);
    assert.equal(refused.code, 2);
    assert.match(refused.err, /MAPPING_INVALID: Invalid mapping bad\.yaml:19 onLeve: unknown key onLeve/);
  });

  it("run --dry-run lists the plan and pushes nothing", async () => {
    const r = await cli("mapping", "run", file, "--dry-run");
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^mapping assets: dry run, full run, \d+ user\(s\) looked at\n {2}create \d+\n/);
    assert.match(r.out, / {4}\S+ {2}create \S+@\S+/);
    assert.equal(scim.users.size, 0);
  });

  it("run pushes the mapped users and prints the counts; --json gives the report", async () => {
    const r = await cli("mapping", "run", file);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^mapping assets: full run #1, \d+ user\(s\) looked at\n {2}create \d+\n$/);
    assert.deepEqual(sorted(activeRecords(scim)), sorted(expectedActive(harness, groups)));
    const again = await cli("mapping", "run", file, "--json");
    assert.equal(again.code, 0, again.err);
    const report = JSON.parse(again.out);
    assert.equal(report.kind, "incremental");
    assert.deepEqual(report.counts, {});
  });

  it("run --user reports each step for one user", async () => {
    const id = [...expectedActive(harness, groups).keys()][0]!;
    const upn = String(harness.emu.tenant.get("user", id)!["userPrincipalName"]);
    const r = await cli("mapping", "run", file, "--user", upn);
    assert.equal(r.code, 0, r.err);
    assert.match(
      r.out,
      /import: found .*\n {2}scope: active\n {2}match: found \S+\n {2}action: skip \(upToDate/,
    );
  });

  it("a failing target: exit 4, failures listed with the target's answer, and in the logs", async () => {
    const id = [...expectedActive(harness, groups).keys()][1]!;
    harness.emu.tenant.update("user", id, { displayName: "Changed Name" });
    await harness.sync();
    scim.refuse = (method) =>
      method === "PATCH" ? { status: 400, detail: "displayName is read-only here" } : undefined;
    const r = await cli("mapping", "run", file);
    scim.refuse = undefined;
    assert.equal(r.code, 4, r.out + r.err);
    assert.match(
      r.out,
      /failed 1 \(retried by later runs\):\n {4}\S+ update \S+: PATCH \S+ to the target failed with 400: displayName is read-only here/,
    );
    const logs = await cli("mapping", "logs", "assets", "--status", "failed");
    assert.equal(logs.code, 0, logs.err);
    assert.match(logs.out, /^at +run +user +action +result +reason +target +detail\n/);
    assert.match(
      logs.out,
      /#\d+ +\S+ +update +failed +changed +\S+ +displayName: "[^"]+" → "Changed Name"; .*read-only here/,
    );
  });

  it("logs filters by run and user, reads the name from the file, and gives JSON", async () => {
    const first = await cli("mapping", "logs", file, "--run", "1", "--json");
    assert.equal(first.code, 0, first.err);
    const rows = JSON.parse(first.out) as { run: number; action: string; result: string }[];
    assert.ok(rows.length > 0);
    assert.ok(rows.every((r) => r.run === 1 && r.action === "create" && r.result === "ok"));
    const id = [...expectedActive(harness, groups).keys()][1]!;
    const upn = String(harness.emu.tenant.get("user", id)!["userPrincipalName"]);
    const mine = JSON.parse((await cli("mapping", "logs", "assets", "--user", upn, "--json")).out) as {
      userId: string;
    }[];
    assert.ok(mine.length >= 2);
    assert.ok(mine.every((r) => r.userId === id));
    const refused = await cli("mapping", "logs", "assets", "--status", "broken");
    assert.equal(refused.code, 2);
    assert.match(refused.err, /--status must be one of ok, failed, held/);
  });

  it("run --follow runs again when a sync changes the store, and Ctrl-C ends it cleanly", async () => {
    const ac = new AbortController();
    const out = textSink();
    const err = textSink();
    const running = runCli(["mapping", "run", file, "--follow"], {
      stdout: out.stream,
      stderr: err.stream,
      env: { ENTRA_STORE: harness.env["ENTRA_STORE"], ASSETS_SCIM_TOKEN: scim.token },
      signal: ac.signal,
    });
    const until = async (what: string, holds: () => boolean) => {
      for (let i = 0; i < 1000 && !holds(); i++) await new Promise((r) => setTimeout(r, 20));
      assert.ok(holds(), `${what}; output: ${out.text()} ${err.text()}`);
    };
    await until("the first run reported", () => out.text().includes("mapping assets:"));
    const id = [...expectedActive(harness, groups).keys()][2]!;
    harness.emu.tenant.update("user", id, { displayName: "Followed Change" });
    await harness.sync();
    const record = () => [...scim.users.values()].find((u) => u["externalId"] === id);
    await until("the change reached the target", () => record()?.["displayName"] === "Followed Change");
    ac.abort(new Error("received SIGINT"));
    assert.equal(await running, 0, err.text());
    assert.ok((out.text().match(/^mapping assets:/gm) ?? []).length >= 2);
  });
});
