/**
 * A store this user may not write (a 0444 backup copy, a folder it cannot write): the read-only
 * commands read it as it is, and a sync refuses at once with STORE_READ_ONLY naming the file and the
 * fix, rather than failing at its first write as an internal error. Run as another user when the
 * tests run as root, whom file modes do not stop.
 */
import assert from "node:assert/strict";
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { openStore } from "../src/store/index.ts";
import { user } from "../src/store/test-support.ts";
import { runCliCollect } from "./support/child-process.ts";

const root = mkdtempSync(join(tmpdir(), "store-read-only-"));
chmodSync(root, 0o755);
after(() => {
  chmodSync(root, 0o755);
  rmSync(root, { recursive: true, force: true });
});

/**
 * Root may write any file, so as root the CLI runs without the capabilities that override file modes
 * (util-linux's setpriv): the store's owner then meets its 0444 / 0555 modes as any user would, while
 * the repository (wherever it was cloned, however private its folder) stays readable to it.
 */
const AS_ORDINARY_USER =
  process.getuid?.() === 0
    ? [
        "setpriv",
        "--inh-caps=-dac_override,-dac_read_search",
        "--bounding-set=-dac_override,-dac_read_search",
        "--",
      ]
    : [];

/** A store with two users and a finished run, then made read-only: the file, and with `folder` its folder too. */
async function readOnlyStore(name: string, folder: boolean): Promise<string> {
  const dir = join(root, name);
  mkdirSync(dir, { mode: 0o755 });
  const path = join(dir, "store.db");
  const store = await openStore(path);
  const run = await store.runs.start({ kind: "full", tenantId: "t" });
  await store.sync.applyPage({ runId: run.id, stream: "users", upserts: [user("u1"), user("u2")] });
  await store.runs.finish(run.id, { status: "succeeded" });
  await store.close();
  chmodSync(path, 0o444);
  if (folder) chmodSync(dir, 0o555);
  return path;
}

function cli(args: string[], store: string) {
  const env = {
    PATH: process.env.PATH,
    ENTRA_STORE: store,
    ENTRA_TENANT_ID: "contoso.onmicrosoft.com",
    ENTRA_CLIENT_ID: "00000000-0000-0000-0000-000000000001",
    ENTRA_CLIENT_SECRET: "not-used",
    ENTRA_CONNECTOR_KEY: "0".repeat(64),
  };
  return runCliCollect(args, env, { cwd: root, prefix: AS_ORDINARY_USER, isolatedEnv: true });
}

for (const folder of [false, true]) {
  describe(`a read-only store file${folder ? " in a folder this user cannot write" : ""}`, () => {
    let path: string;
    it("export, resources and runs read it", async () => {
      path = await readOnlyStore(folder ? "folder" : "file", folder);
      const exported = await cli(["export", "--kind", "users", "--format", "jsonl"], path);
      assert.equal(exported.code, 0, exported.stderr);
      assert.deepEqual(
        exported.stdout
          .trim()
          .split("\n")
          .map((l) => (JSON.parse(l) as { id: string }).id),
        ["u1", "u2"],
      );
      const resources = await cli(["resources", "--kind", "user", "--json"], path);
      assert.equal(resources.code, 0, resources.stderr);
      const runs = await cli(["runs", "--json"], path);
      assert.equal(runs.code, 0, runs.stderr);
      assert.match(runs.stdout, /"succeeded"/);
    });

    it("sync refuses with STORE_READ_ONLY naming the file and the fix, before any request", async () => {
      const synced = await cli(["sync"], path);
      assert.equal(synced.code, 2, synced.stderr);
      assert.match(synced.stderr, new RegExp(`error STORE_READ_ONLY: The store ${path} cannot be written: `));
      assert.match(synced.stderr, /fix: Give the user running the connector write access/);
      assert.doesNotMatch(synced.stderr, /INTERNAL|bug/);
    });
  });
}
