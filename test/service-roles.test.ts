/**
 * `serve --role api` and `--role worker` on the PostgreSQL queue (ENTRA_TEST_POSTGRES, a schema of its
 * own, dropped after): the API queues a sync for the workers and answers for it, one per connection;
 * a worker answers health and metrics only.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { queueDeployment } from "./support/queue-deployment.ts";

const dir = mkdtempSync(join(tmpdir(), "entra-roles-"));
const env = {
  ENTRA_TENANT_ID: "contoso.onmicrosoft.com",
  ENTRA_CLIENT_ID: "00000000-0000-0000-0000-000000000001",
  ENTRA_CLIENT_SECRET: "not-used",
  ENTRA_STORE: join(dir, "store.db"),
};
const deployment = await queueDeployment({ dir, env, schemaPrefix: "entra_roles_test" });
const token = (await deployment.state.createToken({ name: "ops", role: "operator" })).token;
const start = deployment.start;

after(async () => {
  await deployment.close();
  rmSync(dir, { recursive: true, force: true });
});

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
