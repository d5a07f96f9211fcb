/**
 * Managed connections on a PostgreSQL store, an API-role and a worker-role service on one pg-boss
 * queue, against the emulator: a connection created on the API is synced by the worker into its own
 * schema and the API answers its data; a credential changed on the API is the one the worker signs in
 * with; a removed connection leaves the worker and its schema is dropped. A delegated connection signed
 * in through the API is synced by the worker on another folder (as on another pod): its tokens are in the
 * service state, sealed. On SQLite the store stays a file beside the connection's token cache.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { startEmulator } from "@entra-connector/graph-emulator";
import pg from "pg";
import { Agent } from "undici";
import { connectionKey } from "../src/auth/credentials.ts";
import {
  type ConnectionRegistry,
  connectionDir,
  connectionStore,
  createLogger,
  loadConnectorKey,
  openConnections,
  openPostgresServiceState,
  type RunningService,
  startService,
} from "../src/index.ts";
import { TEST_POSTGRES, testPostgresUrl, testSchema } from "../src/store/test-support.ts";
import { type Emulator, emulatorEnv } from "./sync-support.ts";

async function schemasLike(prefix: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: TEST_POSTGRES });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: string }>(
      "SELECT nspname AS n FROM pg_namespace WHERE starts_with(nspname, $1) ORDER BY 1",
      [prefix],
    );
    return rows.map((r) => r.n);
  } finally {
    await client.end();
  }
}

async function dropSchemas(prefix: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_POSTGRES });
  await client.connect();
  try {
    for (const n of await schemasLike(prefix)) await client.query(`DROP SCHEMA IF EXISTS ${n} CASCADE`);
  } finally {
    await client.end();
  }
}

async function until<T>(read: () => Promise<T> | T, done: (v: T) => boolean, what: string): Promise<T> {
  for (let i = 0; i < 600; i++) {
    const v = await read();
    if (done(v)) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`waited in vain for ${what}`);
}

describe("managed connections in PostgreSQL, an API and a worker on one queue", () => {
  const schema = testSchema(import.meta.filename);
  const url = testPostgresUrl(schema);
  let emu: Emulator;
  let dir: string;
  let token: string;
  let api: RunningService;
  let workerRegistry: ConnectionRegistry;
  const services: RunningService[] = [];

  before(async () => {
    emu = await startEmulator({
      port: 0,
      latency: "none",
      throttle: false,
      faultRate: 0,
      size: "s",
      seed: 7,
    });
    dir = mkdtempSync(join(tmpdir(), "entra-managed-pg-"));
    const env = { ...emulatorEnv(emu, url, "s"), ENTRA_TENANT_ID: "", ENTRA_CLIENT_ID: "" };
    const key = await loadConnectorKey({ stateDir: dir });
    // Each role its own folder, as pods have: nothing reaches the worker through a file.
    const managedFor = (role: string) => ({ key, env, stateDir: join(dir, role), store: url });
    const queue = {
      connectionString: TEST_POSTGRES,
      schema: `${schema}_queue`,
      leaseMs: 10_000,
      retries: 0,
      retryDelayMs: 1000,
    };
    for (const role of ["api", "worker"] as const) {
      // Each its own handle on the state, as separate processes have.
      const state = await openPostgresServiceState(url);
      if (role === "api") token = (await state.createToken({ name: "ops", role: "admin" })).token;
      const managed = managedFor(role);
      const connections = await openConnections({ ...managed, state });
      if (role === "worker") workerRegistry = connections;
      const service = await startService({
        state,
        connections,
        managed,
        logger: createLogger({ level: "silent" }),
        version: "test",
        listen: { host: "127.0.0.1", port: 0 },
        metricsOpen: false,
        graceMs: 1000,
        role,
        queue,
        followConnectionsMs: 100,
      });
      services.push(service);
      if (role === "api") api = service;
    }
  });

  after(async () => {
    for (const s of services) await s.close().catch(() => {});
    await emu?.close();
    await dropSchemas(schema);
    rmSync(dir, { recursive: true, force: true });
  });

  async function call(method: "GET" | "POST" | "PATCH" | "DELETE", path: string, payload?: object) {
    const res = await api.app.inject({
      method,
      url: path,
      headers: { authorization: `Bearer ${token}` },
      ...(payload ? { payload } : {}),
    });
    return { status: res.statusCode, body: res.body === "" ? {} : (res.json() as Record<string, unknown>) };
  }

  async function syncAndWait(id: string, request: object = {}): Promise<Record<string, unknown>> {
    const started = await call("POST", `/api/v1/connections/${id}/sync`, { full: true, ...request });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    return until(
      async () => (await call("GET", `/api/v1/connections/${id}/runs/${started.body["runId"]}`)).body,
      (b) => b["status"] !== "queued" && b["status"] !== "running",
      `the sync of ${id} to end`,
    );
  }

  test("created on the API, synced by the worker into its schema, changed and removed there too", async () => {
    const created = await call("POST", "/api/v1/connections", {
      id: "contoso-a",
      name: "Contoso A",
      tenantId: emu.tenantId,
      clientId: emu.clientId,
      credential: { type: "secret", secret: emu.clientSecret },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));

    const synced = await syncAndWait("contoso-a");
    assert.equal(synced["status"], "succeeded", JSON.stringify(synced));
    const users = await call("GET", "/api/v1/connections/contoso-a/resources?kind=user&limit=5");
    assert.equal(users.status, 200, JSON.stringify(users.body));
    assert.equal((users.body["items"] as unknown[]).length, 5, "the API reads what the worker wrote");
    assert.deepEqual(await schemasLike(`${schema}_c_`), [`${schema}_c_contoso_a`]);
    assert.equal(
      existsSync(join(connectionDir(join(dir, "api"), "contoso-a"), "store.db")),
      false,
      "no SQLite file",
    );

    const changed = await call("PATCH", "/api/v1/connections/contoso-a", {
      credential: { type: "secret", secret: "replaced-wrong-secret" },
    });
    assert.equal(changed.status, 200, JSON.stringify(changed.body));
    const refused = await syncAndWait("contoso-a");
    assert.equal(refused["status"], "failed", "the worker signs in with the new secret");
    assert.match(JSON.stringify(refused), /client secret is not valid/);
    await call("PATCH", "/api/v1/connections/contoso-a", {
      credential: { type: "secret", secret: emu.clientSecret },
    });
    const again = await syncAndWait("contoso-a");
    assert.equal(again["status"], "succeeded", JSON.stringify(again));

    const removed = await call("DELETE", "/api/v1/connections/contoso-a");
    assert.equal(removed.status, 204, JSON.stringify(removed.body));
    await until(
      () => workerRegistry.list().map((c) => c.id),
      (ids) => !ids.includes("contoso-a"),
      "the worker to drop the connection",
    );
    assert.deepEqual(await schemasLike(`${schema}_c_`), [], "its schema is dropped");
  });

  async function tokenRows(id: string): Promise<string> {
    const client = new pg.Client({ connectionString: TEST_POSTGRES });
    await client.connect();
    try {
      const { rows } = await client.query(
        `SELECT * FROM ${schema}_service.connection_tokens WHERE connection_id = $1`,
        [id],
      );
      return JSON.stringify(rows);
    } finally {
      await client.end();
    }
  }

  test("a delegated connection signed in through the API is synced by the worker; its tokens are sealed in the state", async () => {
    const created = await call("POST", "/api/v1/connections", {
      id: "delegated-a",
      name: "Delegated A",
      tenantId: emu.tenantId,
      clientId: emu.apps.delegated.clientId,
      credential: { type: "delegated" },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const start = await call("POST", "/api/v1/connections/delegated-a/oauth/start");
    assert.equal(start.status, 200, JSON.stringify(start.body));
    const browser = new Agent({ connect: { ca: readFileSync(emu.caFile, "utf8") } });
    try {
      const login = await fetch(String(start.body["authorizeUrl"]), {
        redirect: "manual",
        dispatcher: browser,
      } as RequestInit);
      const back = await fetch(login.headers.get("location") ?? "", { redirect: "manual" });
      assert.equal(back.status, 302, await back.text());
    } finally {
      await browser.close();
    }

    const synced = await syncAndWait("delegated-a", { kinds: "users" });
    assert.equal(synced["status"], "succeeded", JSON.stringify(synced));
    const files = readdirSync(dir, { recursive: true }).map(String);
    assert.deepEqual(
      files.filter((f) => f.endsWith("tokens.json.enc")),
      [],
      "no pod keeps a token file",
    );

    const worker = workerRegistry.get("delegated-a");
    const stored = await worker.graph().store?.get(connectionKey(worker.config));
    assert.ok(stored?.refreshToken, "the worker reads the refresh token from the state");
    const rows = await tokenRows("delegated-a");
    assert.notEqual(rows, "[]");
    assert.equal(rows.includes(stored.refreshToken), false, "no refresh token in clear");
    assert.equal(rows.includes(stored.accessToken), false, "no access token in clear");

    const replaced = await call("PATCH", "/api/v1/connections/delegated-a", {
      credential: { type: "delegated" },
    });
    assert.equal(replaced.status, 200, JSON.stringify(replaced.body));
    assert.equal(await tokenRows("delegated-a"), "[]", "a replaced credential's tokens are gone");
    const refused = await syncAndWait("delegated-a", { kinds: "users" });
    assert.equal(refused["status"], "failed");
    assert.match(JSON.stringify(refused), /No saved sign-in/);

    // A token cached again, so the removal has one to remove.
    await worker.graph().store?.set("entry", { ...stored, expiresAt: 1 });
    assert.equal(await call("DELETE", "/api/v1/connections/delegated-a").then((r) => r.status), 204);
    assert.equal(await tokenRows("delegated-a"), "[]", "a removed connection's tokens are gone");
  });

  test("of two processes refreshing at once, the later-expiring token is kept whichever writes last", async () => {
    const state = await openPostgresServiceState(url);
    try {
      const cache = state.tokenCache!;
      await cache.put("race", "entry", "newer", 2000);
      await cache.put("race", "entry", "older", 1000);
      assert.equal(await cache.get("race", "entry"), "newer");
      await cache.put("race", "entry", "newest", 3000);
      assert.equal(await cache.get("race", "entry"), "newest");
      await cache.drop("race");
      assert.equal(await cache.get("race", "entry"), undefined);
    } finally {
      await state.close();
    }
  });

  test("on SQLite a connection's store stays a file beside its token cache; schema names stay SQL names", () => {
    const file = join(connectionDir(dir, "b"), "store.db");
    assert.equal(connectionStore({ stateDir: dir }, "b"), file);
    assert.equal(connectionStore({ stateDir: dir, store: join(dir, "store.db") }, "b"), file);
    const long = `${"a".repeat(30)}-${"b".repeat(33)}`;
    const other = `${"a".repeat(30)}-${"b".repeat(32)}c`;
    const names = [long, other].map(
      (id) => new URL(connectionStore({ stateDir: dir, store: url }, id)).searchParams.get("schema")!,
    );
    for (const n of names) assert.match(n, /^[a-z_][a-z0-9_]{0,62}$/);
    assert.notEqual(names[0], names[1]);
  });
});
