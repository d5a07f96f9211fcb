/**
 * A mapping run through the PostgreSQL queue (ENTRA_TEST_POSTGRES, a schema of its own, dropped after):
 * `serve --role api` queues the run, a `--role worker` process works it, and the SCIM test service
 * ends equal to the mapped source.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { startEmulator } from "@entra-connector/graph-emulator";
import { EXAMPLE } from "../src/mapping/test-support.ts";
import { activeRecords, addExampleGroups, duplicates, expectedActive, sorted } from "./mapping-support.ts";
import { queueDeployment } from "./support/queue-deployment.ts";
import { startScimServer } from "./support/scim-server.ts";
import { emulatorEnv, type Harness } from "./sync-support.ts";

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
const deployment = await queueDeployment({ dir, env, schemaPrefix: "entra_mapq_test" });
const token = (await deployment.state.createToken({ name: "admin", role: "admin" })).token;
const start = deployment.start;

after(async () => {
  await deployment.close();
  await scim.close();
  await emu.close();
  rmSync(dir, { recursive: true, force: true });
});

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
