/**
 * Throttling across workers: two processes on one PostgreSQL queue read one tenant through the same app,
 * together asking for more than twice its read budget. They spend it as one (src/service/shared-budget.ts):
 * the emulator throttles none of their requests, the RU they spent stays within what the budget
 * allowed over the time taken, and every read succeeds.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { test } from "node:test";
import { startEmulator } from "@entra-connector/graph-emulator";
import pg from "pg";

const POSTGRES = process.env["ENTRA_TEST_POSTGRES"] ?? "postgres://postgres@127.0.0.1:5432/test";
/** Graph's read budget for a tenant under 50 users (RU per 10 s); the emulator's m tenant is held to it. */
const BUDGET = 3500;
const WINDOW_S = 10;
/** Per process: 40 batches of 100 RU, so two spend 8,000 RU — more than twice the budget. */
const BATCHES = 40;

function spend(env: NodeJS.ProcessEnv): Promise<{ throttled: number }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [join(import.meta.dirname, "support", "budget-spender.ts")], {
      env: { ...process.env, ...env },
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    child.stderr.on("data", (d) => {
      err += d;
    });
    child.once("exit", (code) =>
      code === 0 ? done(JSON.parse(out.trim())) : fail(new Error(`spender exited ${code}: ${err}`)),
    );
  });
}

test("two processes reading one tenant spend its budget as one: nothing throttled, nothing failed", async () => {
  const emu = await startEmulator({
    port: 0,
    size: "m",
    seed: 41,
    latency: "none",
    throttle: { readBudget: BUDGET },
    faultRate: 0,
  });
  const schema = `entra_throttle_${randomBytes(4).toString("hex")}`;
  const env: NodeJS.ProcessEnv = {
    ENTRA_TENANT_ID: emu.tenantId,
    ENTRA_CLIENT_ID: emu.clientId,
    ENTRA_CLIENT_SECRET: emu.clientSecret,
    ENTRA_AUTHORITY_HOST: emu.authorityHost,
    ENTRA_GRAPH_URL: emu.graphRoot,
    ENTRA_CA_FILE: emu.caFile,
    ENTRA_TENANT_SIZE: "small",
    ENTRA_LOG_LEVEL: "silent",
    SPEND_QUEUE: POSTGRES,
    SPEND_SCHEMA: schema,
    SPEND_BATCHES: String(BATCHES),
  };
  try {
    const before = emu.stats();
    const started = Date.now();
    const clients = await Promise.all([spend(env), spend(env)]);
    const seconds = (Date.now() - started) / 1000;
    const after = emu.stats();
    const ru = after.ru - before.ru;
    assert.ok(ru >= 2 * BATCHES * 100, `${ru} RU spent: fewer reads than asked for`);
    assert.equal(after.throttled - before.throttled, 0, JSON.stringify({ clients, after, seconds }));
    assert.deepEqual(
      clients.map((c) => c.throttled),
      [0, 0],
    );
    assert.ok(ru <= BUDGET + (BUDGET / WINDOW_S) * seconds, `${ru} RU in ${seconds.toFixed(1)} s`);
  } finally {
    const client = new pg.Client({ connectionString: POSTGRES });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.end();
    await emu.close();
  }
});
