/**
 * `serve --role api` and `--role worker` on the PostgreSQL queue (ENTRA_TEST_POSTGRES, a schema of its
 * own, dropped after): the API queues a sync for the workers and answers for it, one per connection;
 * a worker answers health and metrics only.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import pg from "pg";
import {
  connectionsFromEnvironment,
  createLogger,
  loadConnectorKey,
  openServiceState,
  type RunningService,
  startService,
} from "../src/index.ts";

const POSTGRES = process.env["ENTRA_TEST_POSTGRES"] ?? "postgres://postgres@127.0.0.1:5432/test";
const SCHEMA = `entra_roles_test_${randomBytes(4).toString("hex")}`;
const dir = mkdtempSync(join(tmpdir(), "entra-roles-"));
const env = {
  ENTRA_TENANT_ID: "contoso.onmicrosoft.com",
  ENTRA_CLIENT_ID: "00000000-0000-0000-0000-000000000001",
  ENTRA_CLIENT_SECRET: "not-used",
  ENTRA_STORE: join(dir, "store.db"),
};
const state = openServiceState(join(dir, "service.db"));
const token = (await state.createToken({ name: "ops", role: "operator" })).token;
const key = await loadConnectorKey({ stateDir: dir });
const services: RunningService[] = [];

after(async () => {
  for (const s of services) await s.close().catch(() => {});
  const client = new pg.Client({ connectionString: POSTGRES });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
  await client.end();
  rmSync(dir, { recursive: true, force: true });
});

async function start(role: "api" | "worker"): Promise<RunningService> {
  const service = await startService({
    // Each its own handle on the state file, as separate processes have.
    state: role === "api" ? state : openServiceState(join(dir, "service.db")),
    connections: connectionsFromEnvironment(env),
    managed: { key, env, stateDir: dir },
    logger: createLogger({ level: "silent" }),
    version: "test",
    listen: { host: "127.0.0.1", port: 0 },
    metricsOpen: false,
    graceMs: 1000,
    role,
    queue: { connectionString: POSTGRES, schema: SCHEMA, leaseMs: 10_000, retries: 1, retryDelayMs: 1000 },
  });
  services.push(service);
  return service;
}

const auth = { authorization: `Bearer ${token}` };

test("the api role queues a sync for the workers, one per connection, and cancels it", async () => {
  const { app } = await start("api");
  const sync = await app.inject({
    method: "POST",
    url: "/api/v1/connections/default/sync",
    headers: auth,
    payload: {},
  });
  assert.equal(sync.statusCode, 202, sync.body);
  const { runId, status } = sync.json() as { runId: string; status: string };
  assert.equal(status, "queued");
  const again = await app.inject({
    method: "POST",
    url: "/api/v1/connections/default/sync",
    headers: auth,
    payload: {},
  });
  assert.equal(again.statusCode, 409);
  assert.match(again.body, new RegExp(`SYNC_ALREADY_RUNNING.*${runId}`));
  const run = await app.inject({ url: `/api/v1/connections/default/runs/${runId}`, headers: auth });
  assert.equal((run.json() as { status: string }).status, "queued", "no worker: it waits in the queue");
  const cancel = await app.inject({
    method: "POST",
    url: `/api/v1/connections/default/runs/${runId}/cancel`,
    headers: auth,
  });
  assert.deepEqual(cancel.json(), { runId, cancelled: true });
  const ended = await app.inject({ url: `/api/v1/connections/default/runs/${runId}`, headers: auth });
  assert.equal((ended.json() as { status: string }).status, "cancelled");
});

test("a worker answers health and metrics, not the API", async () => {
  const { app } = await start("worker");
  assert.equal((await app.inject({ url: "/healthz" })).statusCode, 200);
  assert.equal((await app.inject({ url: "/metrics", headers: auth })).statusCode, 200);
  const api = await app.inject({ url: "/api/v1/connections", headers: auth });
  assert.equal(api.statusCode, 404);
  assert.match(api.body, /API_ROUTE_NOT_FOUND/);
});
