/** The README's library example, run as a user would run it, against the emulator. */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import { startEmulator } from "@entra-connector/graph-emulator";
import { type Emulator, emulatorEnv } from "./sync-support.ts";

const EXAMPLE = join(import.meta.dirname, "..", "examples", "library.ts");

let emu: Emulator;
let dir: string;
before(async () => {
  emu = await startEmulator({ port: 0, size: "s", seed: 7, latency: "none", throttle: false, faultRate: 0 });
  dir = mkdtempSync(join(tmpdir(), "library-example-"));
});
after(async () => {
  await emu.close();
  rmSync(dir, { recursive: true, force: true });
});

test("a program that imports only entra-connector signs in, opens a store, syncs and lists the users", async () => {
  const env = { ...process.env, ...emulatorEnv(emu, join(dir, "library.db"), "s") };
  const { stdout, stderr } = await promisify(execFile)(process.execPath, [EXAMPLE], {
    env,
    cwd: dir,
    encoding: "utf8",
  });
  assert.match(stderr, /^sync succeeded: \d+ objects$/m);
  const listed = stdout
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => l.split("\t")[1])
    .sort();
  const snapshot = (await emu.snapshot()) as { users: Record<string, unknown>[] };
  const expected = snapshot.users.map((u) => String(u["userPrincipalName"])).sort();
  assert.ok(expected.length > 0);
  assert.deepEqual(listed, expected);
});
