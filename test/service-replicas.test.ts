/**
 * Two API replicas on one PostgreSQL service state: a token made through one is accepted by the
 * other, a console session opened on one is used and ended on the other, and a token's limit to
 * connections holds on both.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import {
  createLogger,
  loadConnectorKey,
  openPostgresServiceState,
  type RunningService,
  registryOf,
  startService,
} from "../src/index.ts";
import { dropTestSchema, testPostgresUrl, testSchema } from "../src/store/test-support.ts";

describe("API replicas sharing their state in PostgreSQL", () => {
  const schema = testSchema(import.meta.filename);
  const url = testPostgresUrl(schema);
  let dir: string;
  const replicas: RunningService[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "entra-replicas-"));
    const key = await loadConnectorKey({ stateDir: dir });
    for (let i = 0; i < 2; i++) {
      replicas.push(
        await startService({
          state: await openPostgresServiceState(url),
          connections: registryOf([]),
          managed: { key, env: {}, stateDir: dir },
          logger: createLogger({ level: "silent" }),
          version: "test",
          listen: { host: "127.0.0.1", port: 0 },
          metricsOpen: false,
          graceMs: 1000,
        }),
      );
    }
  });

  after(async () => {
    for (const r of replicas) await r.close();
    await dropTestSchema(`${schema}_service`);
    rmSync(dir, { recursive: true, force: true });
  });

  test("a token and a console session work on either replica, and end on both", async () => {
    const [one, two] = replicas as [RunningService, RunningService];
    const state = await openPostgresServiceState(url);
    const { token } = await state.createToken({ name: "ops", role: "admin", connections: ["a"] });
    await state.close();

    const bearer = { authorization: `Bearer ${token}` };
    for (const r of replicas) {
      assert.equal((await r.app.inject({ url: "/api/v1/connections", headers: bearer })).statusCode, 200);
      const other = await r.app.inject({ url: "/api/v1/connections/b", headers: bearer });
      assert.equal(other.statusCode, 404, other.body);
    }

    const signIn = await one.app.inject({ method: "POST", url: "/api/v1/session", payload: { token } });
    assert.equal(signIn.statusCode, 200, signIn.body);
    const cookie = String(signIn.headers["set-cookie"]).split(";")[0]!;
    const { csrfToken } = signIn.json() as { csrfToken: string };
    const read = await two.app.inject({ url: "/api/v1/session", headers: { cookie } });
    assert.equal(read.statusCode, 200, read.body);
    assert.deepEqual((read.json() as { connections?: string[] }).connections, ["a"]);
    const out = await two.app.inject({
      method: "DELETE",
      url: "/api/v1/session",
      headers: { cookie, "x-csrf-token": csrfToken },
    });
    assert.equal(out.statusCode, 204);
    assert.equal((await one.app.inject({ url: "/api/v1/session", headers: { cookie } })).statusCode, 401);
  });
});
