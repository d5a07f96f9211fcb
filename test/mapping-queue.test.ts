/**
 * A mapping run through the PostgreSQL queue (ENTRA_TEST_POSTGRES, a schema of its own, dropped after):
 * `serve --role api` queues the run, a `--role worker` process works it, and the SCIM test service
 * ends equal to the mapped source.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { startEmulator } from "@entra-connector/graph-emulator";
import pg from "pg";
import {
  connectionsFromEnvironment,
  createLogger,
  loadConnectorKey,
  openServiceState,
  type RunningService,
  startService,
} from "../src/index.ts";
import { EXAMPLE } from "../src/mapping/test-support.ts";
import { activeRecords, addExampleGroups, duplicates, expectedActive, sorted } from "./mapping-support.ts";
import { startScimServer } from "./support/scim-server.ts";
import { emulatorEnv, type Harness } from "./sync-support.ts";

const POSTGRES = process.env["ENTRA_TEST_POSTGRES"] ?? "postgres://postgres@127.0.0.1:5432/test";
const SCHEMA = `entra_mapq_test_${randomBytes(4).toString("hex")}`;
const dir = mkdtempSync(join(tmpdir(), "entra-mapping-queue-"));
const emu = await startEmulator({
  port: 0,
  latency: "none",
  throttle: false,
  faultRate: 0,
  size: "s",
  seed: 21,
});
const groups = addExampleGroups({ emu } as unknown as Harness);
const scim = await startScimServer("scim-bearer-queue-5e1f");
const env = emulatorEnv(emu, join(dir, "store.db"), "s");
const key = await loadConnectorKey({ stateDir: dir });
const state = openServiceState(join(dir, "service.db"));
const token = (await state.createToken({ name: "admin", role: "admin" })).token;
const services: RunningService[] = [];

after(async () => {
  for (const s of services) await s.close().catch(() => {});
  await scim.close();
  await emu.close();
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

test("a mapping run queued by the API is worked by a worker and makes the target equal the source", async () => {
  const api = await start("api");
  await start("worker");
  const call = (method: "GET" | "POST", url: string, payload?: object | string, contentType?: string) =>
    api.app.inject({
      method,
      url: `/api/v1/connections/default${url}`,
      headers: { authorization: `Bearer ${token}`, ...(contentType ? { "content-type": contentType } : {}) },
      ...(payload === undefined ? {} : { payload }),
    });
  async function ended(url: string): Promise<Record<string, unknown>> {
    for (let i = 0; i < 2400; i++) {
      const run = (await call("GET", url)).json() as Record<string, unknown>;
      if (run["status"] !== "queued" && run["status"] !== "running") return run;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`${url} never ended`);
  }

  const sync = await call("POST", "/sync");
  assert.equal(sync.statusCode, 202, sync.body);
  const synced = await ended(`/runs/${(sync.json() as { runId: string }).runId}`);
  assert.equal(synced["status"], "succeeded", JSON.stringify(synced));

  const definition = EXAMPLE.replace("http://127.0.0.1:8080/scim/v2", scim.url).replace(
    /\$\{ASSETS_SCIM_TOKEN\}/,
    scim.token,
  );
  const defined = await call("POST", "/mappings", definition, "application/yaml");
  assert.equal(defined.statusCode, 201, defined.body);

  const res = await call("POST", "/mappings/assets/runs", { mode: "full" });
  assert.equal(res.statusCode, 202, res.body);
  const queued = res.json() as { runId: string; status: string };
  assert.equal(queued.status, "queued", "the API works no job itself: the run waits for the worker");
  const run = await ended(`/mappings/assets/runs/${queued.runId}`);
  assert.equal(run["status"], "succeeded", JSON.stringify(run));
  assert.deepEqual(
    sorted(activeRecords(scim)),
    sorted(expectedActive({ emu } as unknown as Harness, groups)),
  );
  assert.deepEqual(duplicates(scim), []);
});
