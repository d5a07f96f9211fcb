/**
 * Failed jobs over HTTP, on the in-process runner and on the PostgreSQL queue (ENTRA_TEST_POSTGRES, a
 * schema of its own, dropped after): a sync that cannot sign in is listed under its connection with
 * its run's error (never the secret), an operator retries it (a new job, the failed one gone) or discards
 * it, and a viewer can only read.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
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
import { type Emulator, emulatorEnv } from "./sync-support.ts";

const POSTGRES = process.env["ENTRA_TEST_POSTGRES"] ?? "postgres://postgres@127.0.0.1:5432/test";
const SCHEMA = `entra_dead_test_${randomBytes(4).toString("hex")}`;
const WRONG_SECRET = `wrong-${randomBytes(12).toString("hex")}`;

interface FailedJob {
  id: string;
  kind: string;
  connectionId: string;
  attempts: number;
  failedAt?: string;
  error?: { code: string; message: string };
}

let emu: Emulator;
before(async () => {
  emu = await startEmulator({ port: 0, latency: "none", throttle: false, faultRate: 0, size: "s", seed: 3 });
});
after(async () => {
  await emu.close();
  const client = new pg.Client({ connectionString: POSTGRES });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
  await client.end();
});

for (const onQueue of [false, true]) {
  describe(onQueue ? "failed jobs on the PostgreSQL queue" : "failed jobs on the in-process runner", () => {
    let dir: string;
    let service: RunningService;
    const tokens: Record<string, string> = {};

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), "entra-dead-jobs-"));
      const env = { ...emulatorEnv(emu, join(dir, "store.db"), "s"), ENTRA_CLIENT_SECRET: WRONG_SECRET };
      const state = openServiceState(join(dir, "service.db"));
      for (const role of ["viewer", "operator"] as const) {
        tokens[role] = (await state.createToken({ name: `${role}-token`, role })).token;
      }
      service = await startService({
        state,
        connections: connectionsFromEnvironment(env),
        managed: { key: await loadConnectorKey({ stateDir: dir }), env, stateDir: dir },
        logger: createLogger({ level: "silent" }),
        version: "test",
        listen: { host: "127.0.0.1", port: 0 },
        metricsOpen: false,
        graceMs: 1000,
        ...(onQueue
          ? {
              queue: {
                connectionString: POSTGRES,
                schema: SCHEMA,
                leaseMs: 10_000,
                retries: 1,
                retryDelayMs: 1000,
              },
            }
          : {}),
      });
    });
    after(async () => {
      await service.close();
      rmSync(dir, { recursive: true, force: true });
    });

    const api = (method: "GET" | "POST" | "DELETE", url: string, role: string) =>
      service.app.inject({
        method,
        url: `/api/v1/connections/default${url}`,
        headers: { authorization: `Bearer ${tokens[role]}` },
      });

    async function deadJobs(): Promise<FailedJob[]> {
      const res = await api("GET", "/jobs/dead", "viewer");
      assert.equal(res.statusCode, 200, res.body);
      return (res.json() as { items: FailedJob[] }).items;
    }

    async function listedFailed(id: string): Promise<FailedJob> {
      for (let i = 0; i < 1200; i++) {
        const found = (await deadJobs()).find((j) => j.id === id);
        if (found) return found;
        await new Promise((r) => setTimeout(r, 25));
      }
      throw new Error(`job ${id} never listed as failed`);
    }

    async function failedSync(): Promise<FailedJob> {
      const res = await api("POST", "/sync", "operator");
      assert.equal(res.statusCode, 202, res.body);
      return listedFailed((res.json() as { runId: string }).runId);
    }

    test("a sync that cannot sign in is listed as failed with its error, never the secret", async () => {
      const job = await failedSync();
      assert.equal(job.kind, "sync");
      assert.equal(job.connectionId, "default");
      assert.equal(job.error?.code, "SYNC_FAILED");
      assert.match(job.error?.message ?? "", /client secret is not valid/);
      // The queue tries once more (one retry configured); the in-process runner does not retry.
      assert.equal(job.attempts, onQueue ? 2 : 1);
      assert.ok(job.failedAt);
      const body = (await api("GET", "/jobs/dead", "viewer")).body;
      assert.ok(!body.includes(WRONG_SECRET), "the listing shows the secret");
    });

    test("a viewer can neither retry nor discard a failed job", async () => {
      const [job] = await deadJobs();
      assert.ok(job);
      assert.equal((await api("POST", `/jobs/dead/${job.id}/retry`, "viewer")).statusCode, 403);
      assert.equal((await api("DELETE", `/jobs/dead/${job.id}`, "viewer")).statusCode, 403);
      assert.ok((await deadJobs()).some((j) => j.id === job.id));
    });

    test("a retry queues the job again and the failed one leaves the list", async () => {
      const [job] = await deadJobs();
      assert.ok(job);
      const res = await api("POST", `/jobs/dead/${job.id}/retry`, "operator");
      assert.equal(res.statusCode, 202, res.body);
      const again = (res.json() as { id: string }).id;
      assert.notEqual(again, job.id);
      // Still the wrong secret: the new job fails as well, and is listed in place of the first.
      await listedFailed(again);
      assert.ok(!(await deadJobs()).some((j) => j.id === job.id));
      const second = await api("POST", `/jobs/dead/${job.id}/retry`, "operator");
      assert.equal(second.statusCode, 404, second.body);
      assert.equal((second.json() as { error: { code: string } }).error.code, "JOB_NOT_FAILED");
    });

    test("a discarded failed job is gone; discarding it again is not found", async () => {
      for (const job of await deadJobs()) {
        const res = await api("DELETE", `/jobs/dead/${job.id}`, "operator");
        assert.equal(res.statusCode, 204, res.body);
      }
      assert.deepEqual(await deadJobs(), []);
      const job = await failedSync();
      assert.equal((await api("DELETE", `/jobs/dead/${job.id}`, "operator")).statusCode, 204);
      const again = await api("DELETE", `/jobs/dead/${job.id}`, "operator");
      assert.equal(again.statusCode, 404, again.body);
      const elsewhere = await service.app.inject({
        method: "GET",
        url: "/api/v1/connections/nope/jobs/dead",
        headers: { authorization: `Bearer ${tokens["viewer"]}` },
      });
      assert.equal(elsewhere.statusCode, 404, elsewhere.body);
    });
  });
}
