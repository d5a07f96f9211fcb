import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { isConnectorError } from "../errors.ts";
import { loadConfig, loadSettings } from "./load.ts";

const BASE = {
  ENTRA_TENANT_ID: "11111111-1111-1111-1111-111111111111",
  ENTRA_CLIENT_ID: "22222222-2222-2222-2222-222222222222",
  ENTRA_CLIENT_SECRET: "value~abc",
};

function fails(env: Record<string, string>, message: RegExp, flags = {}) {
  assert.throws(
    () => loadConfig({ env, flags }),
    (e) => isConnectorError(e, "CONFIG_INVALID") && message.test(e.message),
  );
}

describe("loadConfig", () => {
  test("bad values are named by their source with what is expected", () => {
    fails(
      { ...BASE, ENTRA_TENANT_ID: "not a tenant" },
      /^ENTRA_TENANT_ID: must be a GUID or a domain like contoso\.onmicrosoft\.com$/,
    );
    fails(
      { ...BASE, ENTRA_CLIENT_ID: "abc" },
      /^ENTRA_CLIENT_ID: must be the Application \(client\) ID, a GUID/,
    );
    fails({ ...BASE, ENTRA_CLOUD: "mars" }, /^ENTRA_CLOUD: must be one of global, usgov, usgovdod, china$/);
    fails({ ...BASE, ENTRA_PROVISIONING: "maybe" }, /^ENTRA_PROVISIONING: must be true or false$/);
    fails(
      { ...BASE, ENTRA_GRAPH_URL: "https://graph.microsoft.com/v1.0" },
      /^ENTRA_GRAPH_URL: must be the Graph root without a version/,
    );
    fails(
      { ...BASE, ENTRA_AUTHORITY_HOST: "http://login.example.com" },
      /^ENTRA_AUTHORITY_HOST: must use https/,
    );
    fails({ ...BASE }, /^--tenant-id: must be a GUID/, { tenantId: "x y" });
    const { ENTRA_CLIENT_SECRET: _, ...noSecret } = BASE;
    fails(noSecret, /no credential configured/);
    fails(
      { ...BASE, ENTRA_CLIENT_CERTIFICATE: "/nope.pem" },
      /^ENTRA_CLIENT_KEY: a certificate credential needs both/,
    );
  });

  test("one cloud setting picks both hosts and the token resource", () => {
    const cases = {
      global: ["https://login.microsoftonline.com", "https://graph.microsoft.com"],
      usgov: ["https://login.microsoftonline.us", "https://graph.microsoft.us"],
      usgovdod: ["https://login.microsoftonline.us", "https://dod-graph.microsoft.us"],
      china: ["https://login.chinacloudapi.cn", "https://microsoftgraph.chinacloudapi.cn"],
    };
    for (const [cloud, [login, graph]] of Object.entries(cases)) {
      const c = loadConfig({ env: { ...BASE, ENTRA_CLOUD: cloud } });
      assert.equal(c.authorityHost, login);
      assert.equal(c.graphUrl, graph);
      assert.deepEqual(c.scopes, [`${graph}/.default`]);
    }
  });

  test("hosts can be set directly (the emulator) and keep the cloud's resource", () => {
    const c = loadConfig({
      env: {
        ...BASE,
        ENTRA_AUTHORITY_HOST: "https://127.0.0.1:8443/",
        ENTRA_GRAPH_URL: "https://127.0.0.1:8443",
      },
    });
    assert.equal(c.authorityHost, "https://127.0.0.1:8443");
    assert.equal(c.graphUrl, "https://127.0.0.1:8443");
    assert.deepEqual(c.scopes, ["https://graph.microsoft.com/.default"]);
  });

  test("login and Graph hosts of different clouds are refused", () => {
    fails({ ...BASE, ENTRA_GRAPH_URL: "https://graph.microsoft.us" }, /belongs to the usgov cloud/);
  });

  test("flags win over env, env over the config file; unknown file keys are refused", () => {
    const dir = mkdtempSync(join(tmpdir(), "cfg-"));
    const file = join(dir, "c.json");
    writeFileSync(
      file,
      JSON.stringify({ tenantId: "contoso.onmicrosoft.com", logLevel: "warn", concurrency: 4 }),
    );
    const c = loadConfig({
      env: { ...BASE, ENTRA_TENANT_ID: "", ENTRA_CONFIG: file, ENTRA_LOG_LEVEL: "debug" },
      flags: { concurrency: "8" },
    });
    assert.equal(c.tenantId, "contoso.onmicrosoft.com");
    assert.equal(c.logLevel, "debug");
    assert.equal(c.concurrency, 8);
    writeFileSync(file, JSON.stringify({ tenant: "x" }));
    assert.throws(
      () => loadConfig({ env: { ...BASE, ENTRA_CONFIG: file } }),
      /c\.json: tenant: unknown setting/,
    );
    writeFileSync(file, "{");
    assert.throws(
      () => loadConfig({ env: { ...BASE, ENTRA_CONFIG: file } }),
      (e) => isConnectorError(e, "CONFIG_FILE_UNREADABLE"),
    );
  });

  test("defaults: store, state folder, delegated scopes include offline_access", () => {
    const c = loadConfig({ env: BASE, cwd: "/srv/app" });
    assert.equal(c.store, "./entra-connector.db");
    assert.equal(c.stateDir, "/srv/app");
    assert.equal(c.provisioning, false);
    const d = loadConfig({ env: { ...BASE, ENTRA_AUTH: "delegated", ENTRA_SCOPE: "User.Read.All" } });
    assert.deepEqual(d.scopes, ["offline_access", "User.Read.All"]);
    assert.equal(d.credential.kind, "delegated");
  });
});

describe("the service's settings", () => {
  test("come from flags, the environment or the config file, with their defaults stated once", () => {
    const dir = mkdtempSync(join(tmpdir(), "entra-service-settings-"));
    const file = join(dir, "c.json");
    writeFileSync(
      file,
      JSON.stringify({ listen: "0.0.0.0:9000", schedule: "0 9 * * 1-5", scheduleTimeZone: "Europe/Paris" }),
    );
    const fromFile = loadSettings({ env: { ENTRA_CONFIG: file }, cwd: dir }).service;
    assert.deepEqual(fromFile.listen, { host: "0.0.0.0", port: 9000 });
    assert.deepEqual(fromFile.schedule, {
      kind: "cron",
      expression: "0 9 * * 1-5",
      timeZone: "Europe/Paris",
    });
    const defaults = loadSettings({ env: {}, cwd: dir }).service;
    assert.deepEqual(defaults, {
      listen: { host: "127.0.0.1", port: 8080 },
      metricsOpen: false,
      shutdownGraceMs: 25_000,
      schedule: undefined,
      publicUrl: undefined,
      tls: undefined,
      trustProxy: [],
      allowInsecureListen: false,
    });
    const flags = loadSettings({
      env: {},
      flags: { listen: "[::1]:7000", schedule: "every 15m" },
      cwd: dir,
    }).service;
    assert.deepEqual(flags.listen, { host: "::1", port: 7000 });
    assert.deepEqual(flags.schedule, { kind: "interval", everyMs: 900_000 });
    const publicUrl = loadSettings({ env: { ENTRA_PUBLIC_URL: "https://connector.example.com/" }, cwd: dir });
    assert.equal(publicUrl.service.publicUrl, "https://connector.example.com");
  });

  test("a bad value names where it came from", () => {
    const refused = (env: NodeJS.ProcessEnv, pattern: RegExp) =>
      assert.throws(
        () => loadSettings({ env }),
        (err) => isConnectorError(err, "CONFIG_INVALID") && pattern.test(err.message),
      );
    refused({ ENTRA_LISTEN: "8080" }, /ENTRA_LISTEN.*host:port/);
    refused({ ENTRA_SHUTDOWN_GRACE: "25" }, /ENTRA_SHUTDOWN_GRACE/);
    refused({ ENTRA_SCHEDULE: "whenever" }, /ENTRA_SCHEDULE.*cron expression/);
    refused({ ENTRA_SCHEDULE: "0 9 * * *", ENTRA_SCHEDULE_TZ: "Mars/Olympus" }, /IANA time zone/);
    refused({ ENTRA_PUBLIC_URL: "http://connector.example.com" }, /ENTRA_PUBLIC_URL.*https/);
    refused({ ENTRA_PUBLIC_URL: "not a url" }, /ENTRA_PUBLIC_URL/);
  });
});
