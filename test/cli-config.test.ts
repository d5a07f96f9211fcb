/**
 * Settings are resolved once, in src/config: every command that reads them takes the same flags,
 * variables and `--config` file. Here nothing comes from the environment: the emulator's settings and
 * the store's location are only in the config file.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { startEmulator } from "@entra-connector/graph-emulator";
import { runCli } from "../src/cli/program.ts";
import { serviceStatePath } from "../src/index.ts";
import { textSink } from "./connection-support.ts";
import type { Emulator } from "./sync-support.ts";

let emu: Emulator;
let dir: string;
let configFile: string;
before(async () => {
  emu = await startEmulator({ port: 0, size: "s", seed: 11, latency: "none", throttle: false, faultRate: 0 });
  dir = mkdtempSync(join(tmpdir(), "cli-config-"));
  configFile = join(dir, "connector.json");
  writeFileSync(
    configFile,
    JSON.stringify({
      tenantId: emu.tenantId,
      clientId: emu.clientId,
      clientSecret: emu.clientSecret,
      authorityHost: emu.authorityHost,
      graphUrl: emu.graphRoot,
      caFile: emu.caFile,
      store: join(dir, "custom.db"),
      tenantSize: "small",
      logLevel: "silent",
    }),
  );
});
after(async () => {
  await emu.close();
  rmSync(dir, { recursive: true, force: true });
});

async function cli(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const out = textSink();
  const err = textSink();
  const code = await runCli(argv, {
    stdout: out.stream,
    stderr: err.stream,
    env,
    signal: new AbortController().signal,
  });
  return { code, out: out.text(), err: err.text() };
}

async function ok(...argv: string[]): Promise<string> {
  const r = await cli(["--config", configFile, ...argv]);
  assert.equal(r.code, 0, `${argv.join(" ")} exited ${r.code}: ${r.err}${r.out}`);
  return r.out;
}

test("--config is honoured by every command that reads settings", async () => {
  await ok("sync", "--json");
  await ok("watch", "--once");
  const runs = JSON.parse(await ok("runs", "--json")) as { number: number }[];
  assert.equal(runs.length, 2, "the sync and the watch's run, in the store the file names");
  const users = JSON.parse(await ok("resources", "--kind", "user", "--json")) as Record<string, unknown>[];
  const groups = JSON.parse(await ok("resources", "--kind", "group", "--json")) as Record<string, unknown>[];
  assert.ok(users.length > 0 && groups.length > 0);
  await ok("access", String(users[0]?.["id"]));
  await ok("grants", "--group", String(groups[0]?.["id"]));
  await ok("diff", "1", "2");
  assert.equal((await ok("export", "--kind", "users")).split("\n").filter(Boolean).length, users.length);
  const got = JSON.parse(
    await ok("action", "get-user", "--input", JSON.stringify({ user: users[0]?.["id"] })),
  ) as Record<string, unknown>;
  assert.equal((got["user"] as Record<string, unknown> | undefined)?.["id"] ?? got["id"], users[0]?.["id"]);
  await ok("check");
  await ok("token", "create", "--name", "ci", "--role", "viewer");
  assert.match(await ok("token", "list"), /ci/);
  assert.ok(existsSync(serviceStatePath(dir)), "the service state is beside the store the file names");
});

test("ENTRA_CONFIG names the file as --config does; a flag still wins over it", async () => {
  const viaEnv = await cli(["runs", "--json"], { ENTRA_CONFIG: configFile });
  assert.equal(viaEnv.code, 0, viaEnv.err);
  const flagWins = await cli(["--store", join(dir, "missing.db"), "runs"], { ENTRA_CONFIG: configFile });
  assert.equal(flagWins.code, 2);
  assert.match(flagWins.err, /STORE_NOT_FOUND/);
  assert.match(flagWins.err, /missing\.db/);
});
