/**
 * Property selection for sync is a setting like every other: `--properties`, `ENTRA_PROPERTIES` or the
 * config file's `properties`, with the same precedence, and a bad value is refused naming its source.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { after, describe, test } from "node:test";
import { runCli } from "../cli/program.ts";
import { isConnectorError } from "../errors.ts";
import { loadConfig } from "./load.ts";

const BASE = {
  ENTRA_TENANT_ID: "11111111-1111-1111-1111-111111111111",
  ENTRA_CLIENT_ID: "22222222-2222-2222-2222-222222222222",
  ENTRA_CLIENT_SECRET: "value~abc",
};

const dir = mkdtempSync(join(tmpdir(), "cfg-properties-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function configFile(content: unknown): string {
  const file = join(dir, `${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(content));
  return file;
}

function refused(env: Record<string, string>, message: RegExp, flags = {}): void {
  assert.throws(
    () => loadConfig({ env: { ...BASE, ...env }, flags }),
    (e) => isConnectorError(e, "CONFIG_INVALID") && message.test(e.message),
  );
}

describe("property selection", () => {
  test("comes from the flag, else ENTRA_PROPERTIES, else the config file (as text or as an object)", () => {
    assert.equal(loadConfig({ env: BASE }).properties, undefined, "default: every property");
    const text = configFile({ properties: "group:displayName" });
    const object = configFile({ properties: { user: ["displayName", "department"], app: ["appId"] } });
    assert.deepEqual(loadConfig({ env: { ...BASE, ENTRA_CONFIG: text } }).properties, {
      group: ["displayName"],
    });
    assert.deepEqual(loadConfig({ env: { ...BASE, ENTRA_CONFIG: object } }).properties, {
      user: ["displayName", "department"],
      app: ["appId"],
    });
    const env = { ...BASE, ENTRA_CONFIG: object, ENTRA_PROPERTIES: "user:displayName;group:mail" };
    assert.deepEqual(loadConfig({ env }).properties, { user: ["displayName"], group: ["mail"] });
    assert.deepEqual(loadConfig({ env, flags: { properties: "app:displayName" } }).properties, {
      app: ["displayName"],
    });
  });

  test("a bad value is refused naming where it came from and what is expected", () => {
    refused(
      { ENTRA_PROPERTIES: "person:displayName" },
      /^ENTRA_PROPERTIES: "person:displayName" is not <user\|group\|app>:/,
    );
    refused(
      { ENTRA_PROPERTIES: "user:displayName,shoeSize" },
      /^ENTRA_PROPERTIES: user: unknown property shoeSize; choose from .*department/,
    );
    refused({ ENTRA_PROPERTIES: "user:" }, /^ENTRA_PROPERTIES: "user:" is not/);
    refused({}, /^--properties: group: unknown property nickname/, { properties: "group:nickname" });
    const file = configFile({ properties: { user: "displayName" } });
    refused(
      { ENTRA_CONFIG: file },
      new RegExp(`^${file.replace(/[.]/g, "\\.")}: properties: "user" must list property names`),
    );
    refused(
      { ENTRA_CONFIG: configFile({ properties: 7 }) },
      /: properties: must be a selection like user:displayName/,
    );
    refused({ ENTRA_CONFIG: configFile({ properties: { role: ["x"] } }) }, /: properties: "role:x" is not/);
  });

  test("sync refuses a bad selection from the flag or the variable before opening the store", async () => {
    const store = join(dir, "never-created.db");
    const sync = async (argv: string[], env: Record<string, string>) => {
      let stderr = "";
      const sink = (keep: boolean) =>
        new Writable({
          write(chunk, _encoding, done) {
            if (keep) stderr += chunk.toString();
            done();
          },
        });
      const code = await runCli(["sync", ...argv], {
        stdout: sink(false),
        stderr: sink(true),
        env: { ...BASE, ENTRA_STORE: store, ...env },
        signal: new AbortController().signal,
      });
      return { code, stderr };
    };
    const fromEnv = await sync([], { ENTRA_PROPERTIES: "user:shoeSize" });
    assert.equal(fromEnv.code, 2);
    assert.match(fromEnv.stderr, /CONFIG_INVALID: ENTRA_PROPERTIES: user: unknown property shoeSize/);
    const fromFlag = await sync(["--properties", "person:displayName"], { ENTRA_PROPERTIES: "user:mail" });
    assert.equal(fromFlag.code, 2);
    assert.match(fromFlag.stderr, /CONFIG_INVALID: --properties: "person:displayName" is not/);
    assert.equal(existsSync(store), false);
  });
});
