/**
 * The service's operational settings: https with a certificate (a request trusting the test CA
 * succeeds), listening beyond loopback refused without TLS, a trusted proxy or an explicit allowance,
 * TLS and proxy settings checked with errors naming the field, and the client address behind a
 * trusted proxy (only there) in the audit log.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import {
  connectionsFromEnvironment,
  createLogger,
  isConnectorError,
  loadConnectorKey,
  loadSettings,
  openServiceState,
  type ServiceOptions,
  type ServiceState,
  startService,
} from "../src/index.ts";

const FIXTURES = join(import.meta.dirname, "fixtures", "tls");
const tls = { certFile: join(FIXTURES, "service.crt"), keyFile: join(FIXTURES, "service.key") };

describe("service operations", () => {
  let dir: string;
  let state: ServiceState;
  let env: NodeJS.ProcessEnv;
  let token: string;
  let key: Buffer;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "entra-service-ops-"));
    key = await loadConnectorKey({ stateDir: dir });
    // A connection that is never asked to reach Graph: subscriptions live in the store.
    env = {
      ENTRA_TENANT_ID: "00000000-0000-0000-0000-0000000000aa",
      ENTRA_CLIENT_ID: "00000000-0000-0000-0000-0000000000bb",
      ENTRA_CLIENT_SECRET: "not-used-by-these-tests",
      ENTRA_STORE: join(dir, "store.db"),
    };
    state = openServiceState(join(dir, "service.db"));
    token = (await state.createToken({ name: "ops", role: "operator" })).token;
  });
  after(async () => {
    await state.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const options = (over: Partial<ServiceOptions>): ServiceOptions => ({
    // Each service closes the state it is given: a fresh handle on the same file each time.
    state: openServiceState(join(dir, "service.db")),
    connections: connectionsFromEnvironment(env),
    managed: { key, env, stateDir: dir },
    logger: createLogger({ level: "silent" }),
    version: "test",
    listen: { host: "127.0.0.1", port: 0 },
    metricsOpen: false,
    graceMs: 1000,
    ...over,
  });

  const refusal = async (over: Partial<ServiceOptions>) => {
    const err = await startService(options(over)).then(
      async (s) => {
        await s.close();
        return undefined;
      },
      (e: unknown) => e,
    );
    assert.ok(isConnectorError(err), `expected a refusal, got ${String(err)}`);
    return err;
  };

  test("with a certificate the service answers https, and a client trusting the test CA gets through", async () => {
    const service = await startService(options({ tls }));
    try {
      assert.match(service.url, /^https:\/\//);
      const status = await new Promise<number>((resolve, reject) => {
        const req = request(`${service.url}/healthz`, { ca: readFileSync(tls.certFile) }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on("error", reject);
        req.end();
      });
      assert.equal(status, 200);
    } finally {
      await service.close();
    }
  });

  test("beyond loopback, plain http is refused naming --listen and the ways out; each way out starts", async () => {
    const err = await refusal({ listen: { host: "0.0.0.0", port: 0 } });
    assert.equal(err.code, "CONFIG_INVALID");
    assert.match(err.message, /--listen: 0\.0\.0\.0 .*--tls-cert.*--trust-proxy.*--allow-insecure-listen/);
    for (const way of [{ tls }, { trustProxy: ["10.0.0.5"] }, { allowInsecureListen: true }]) {
      const service = await startService(options({ listen: { host: "0.0.0.0", port: 0 }, ...way }));
      await service.close();
    }
  });

  test("unreadable or mismatched TLS files are refused naming the setting", async () => {
    const missing = await refusal({ tls: { ...tls, certFile: join(dir, "nope.crt") } });
    assert.match(missing.message, /--tls-cert: .*nope\.crt cannot be read \(ENOENT\)/);
    const wrong = await refusal({ tls: { certFile: tls.certFile, keyFile: tls.certFile } });
    assert.match(wrong.message, /--tls-cert: .*not a PEM certificate and its private key/);
  });

  test("settings: the TLS pair goes together, proxies are addresses or ranges", () => {
    assert.deepEqual(
      loadSettings({ env: { ENTRA_TLS_CERT: "a.crt", ENTRA_TLS_KEY: "a.key" }, cwd: "/srv" }).service.tls,
      { certFile: "/srv/a.crt", keyFile: "/srv/a.key" },
    );
    assert.throws(() => loadSettings({ env: { ENTRA_TLS_CERT: "a.crt" } }), /--tls-key: https needs both/);
    assert.deepEqual(
      loadSettings({ env: { ENTRA_TRUST_PROXY: "10.0.0.5, 10.1.0.0/16,loopback" } }).service.trustProxy,
      ["10.0.0.5", "10.1.0.0/16", "loopback"],
    );
    assert.throws(
      () => loadSettings({ env: { ENTRA_TRUST_PROXY: "*" } }),
      /ENTRA_TRUST_PROXY.*not an address/,
    );
    assert.throws(() => loadSettings({ env: { ENTRA_TRUST_PROXY: "10.0.0.0/40" } }), /ENTRA_TRUST_PROXY/);
  });

  test("the audit log names the client behind a trusted proxy, and ignores the header from anyone else", async () => {
    const ipOf = async (trustProxy: string[] | undefined) => {
      const service = await startService(options(trustProxy ? { trustProxy } : {}));
      try {
        const res = await service.app.inject({
          method: "POST",
          url: "/api/v1/connections/default/subscriptions",
          remoteAddress: "127.0.0.1",
          headers: { authorization: `Bearer ${token}`, "x-forwarded-for": "203.0.113.9" },
          payload: { url: "https://hooks.example.com/in" },
        });
        assert.equal(res.statusCode, 201, res.body);
        const { id } = (res.json() as { subscription: { id: string } }).subscription;
        const audit = await service.app.inject({
          url: "/api/v1/connections/default/audit?action=subscription.create",
          headers: { authorization: `Bearer ${token}` },
        });
        const entry = (
          audit.json() as { items: { target: string; detail: { ip: string; actor: string } }[] }
        ).items.find((e) => e.target === id);
        assert.equal(entry?.detail.actor, "ops");
        return entry?.detail.ip;
      } finally {
        await service.close();
      }
    };
    assert.equal(await ipOf(["127.0.0.1"]), "203.0.113.9");
    assert.equal(await ipOf(undefined), "127.0.0.1");
  });

  test("plain http webhooks beyond loopback only when the service allows them, as watch --allow-insecure-webhook", async () => {
    const create = async (allowInsecureHttp: boolean) => {
      const service = await startService(options({ triggers: { allowInsecureHttp } }));
      try {
        return await service.app.inject({
          method: "POST",
          url: "/api/v1/connections/default/subscriptions",
          headers: { authorization: `Bearer ${token}` },
          payload: { url: "http://hooks.example.com/in" },
        });
      } finally {
        await service.close();
      }
    };
    const refused = await create(false);
    assert.equal(refused.statusCode, 400);
    assert.match(refused.body, /url: .*--allow-insecure-webhook/);
    assert.equal((await create(true)).statusCode, 201);
  });
});
