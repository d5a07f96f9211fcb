/**
 * The service's HTTP API in-process (Fastify's inject) against the emulator: authentication and roles
 * on every route of the OpenAPI document, validation errors naming the field, sync now → run status,
 * one sync per connection, resources paged by cursor, and no secret in any answer.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { startEmulator } from "@entra-connector/graph-emulator";
import { Validator } from "@seriousme/openapi-schema-validator";
import {
  buildApp,
  connectionAdmin,
  connectionsFromEnvironment,
  createLocalJobs,
  createLogger,
  type Jobs,
  openServiceState,
  type ServiceState,
} from "../src/index.ts";
import { createMetrics } from "../src/service/metrics.ts";
import { syncJob } from "../src/service/sync-job.ts";
import { type Emulator, emulatorEnv } from "./sync-support.ts";

type App = ReturnType<typeof buildApp>["app"];

describe("service API", () => {
  let emu: Emulator;
  let dir: string;
  let state: ServiceState;
  let jobs: Jobs;
  let app: App;
  let routes: ReturnType<typeof buildApp>["routes"];
  const tokens: Record<string, string> = {};
  let env: NodeJS.ProcessEnv;

  before(async () => {
    emu = await startEmulator({
      port: 0,
      latency: "none",
      throttle: false,
      faultRate: 0,
      size: "s",
      seed: 3,
    });
    dir = mkdtempSync(join(tmpdir(), "entra-service-"));
    env = emulatorEnv(emu, join(dir, "store.db"), "s");
    state = openServiceState(join(dir, "service.db"));
    for (const role of ["viewer", "operator", "admin"] as const) {
      tokens[role] = (await state.createToken({ name: role, role })).token;
    }
    const connections = connectionsFromEnvironment(env);
    jobs = createLocalJobs({ handlers: { sync: syncJob(connections) } });
    ({ app, routes } = buildApp({
      state,
      connections,
      admin: connectionAdmin({ state, registry: connections, key: randomBytes(32), env, stateDir: dir }),
      jobs,
      metrics: createMetrics(),
      logger: createLogger({ level: "silent" }),
      version: "test",
      metricsOpen: false,
      ready: () => true,
    }));
    await app.ready();
  });

  after(async () => {
    await jobs.close(10_000);
    await app.close();
    await state.close();
    await emu.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const as = (role: string | undefined) => (role ? { authorization: `Bearer ${tokens[role]}` } : {});

  async function waitForRun(runId: string): Promise<Record<string, unknown>> {
    for (;;) {
      const res = await app.inject({
        url: `/api/v1/connections/default/runs/${runId}`,
        headers: as("viewer"),
      });
      const body = res.json() as Record<string, unknown>;
      if (body["status"] !== "queued" && body["status"] !== "running") return body;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  test("health and readiness answer without a token; metrics need one", async () => {
    assert.equal((await app.inject({ url: "/healthz" })).statusCode, 200);
    const ready = await app.inject({ url: "/readyz" });
    assert.equal(ready.statusCode, 200, ready.body);
    assert.equal((await app.inject({ url: "/metrics" })).statusCode, 401);
    const metrics = await app.inject({ url: "/metrics", headers: as("viewer") });
    assert.equal(metrics.statusCode, 200);
    assert.match(metrics.body, /entra_connector_http_request_duration_seconds/);
  });

  test("the OpenAPI document lists every route the server answers, each with its role", async () => {
    const res = await app.inject({ url: "/api/v1/openapi.json" });
    assert.equal(res.statusCode, 200);
    const doc = res.json() as {
      openapi: string;
      paths: Record<string, Record<string, { "x-role": string }>>;
    };
    assert.equal(doc.openapi, "3.1.0");
    const validation = await new Validator().validate(doc as never);
    assert.equal(validation.valid, true, JSON.stringify(validation.errors));
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
    );
    const served = routes
      .filter((r) => !r.hidden)
      .map((r) => `${r.method} ${r.path.replace(/:(\w+)/g, "{$1}")}`);
    assert.deepEqual(documented.sort(), served.sort());
  });

  test("the API reference page lists every route of the OpenAPI document, without token or script", async () => {
    const doc = (await app.inject({ url: "/api/v1/openapi.json" })).json() as {
      paths: Record<string, Record<string, unknown>>;
    };
    const res = await app.inject({ url: "/api/v1/docs" });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers["content-type"]), /^text\/html/);
    assert.match(String(res.headers["content-security-policy"]), /default-src 'none'/);
    assert.doesNotMatch(res.body, /<script|src=/);
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const method of Object.keys(ops)) {
        assert.ok(res.body.includes(`id="${method}-${path}"`), `${method.toUpperCase()} ${path} on the page`);
      }
    }
    // Schemas are shown as text: their markup-looking parts are escaped.
    assert.ok(res.body.includes("&quot;type&quot;"));
  });

  test("every protected route of the document answers 401 without a token and 403 to a weaker role", async () => {
    const doc = (await app.inject({ url: "/api/v1/openapi.json" })).json() as {
      paths: Record<string, Record<string, { "x-role": string }>>;
    };
    let checked = 0;
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const url = path.replace(/\{(\w+)\}/g, (_m, name: string) =>
          name === "id" ? "default" : name === "kind" ? "user" : "x",
        );
        const m = method.toUpperCase() as "GET" | "POST";
        if (op["x-role"] === "public") continue;
        const anonymous = await app.inject({ method: m, url });
        assert.equal(anonymous.statusCode, 401, `${m} ${path} without a token`);
        assert.equal((anonymous.json() as { error: { code: string } }).error.code, "API_UNAUTHENTICATED");
        const forged = await app.inject({
          method: m,
          url,
          headers: { authorization: "Bearer ecs_not-a-token" },
        });
        assert.equal(forged.statusCode, 401, `${m} ${path} with a forged token`);
        const weaker =
          op["x-role"] === "admin" ? "operator" : op["x-role"] === "operator" ? "viewer" : undefined;
        if (weaker) {
          const res = await app.inject({ method: m, url, headers: as(weaker) });
          assert.equal(res.statusCode, 403, `${m} ${path} as ${weaker}`);
        }
        checked += 1;
      }
    }
    assert.ok(checked >= 7, `only ${checked} protected routes`);
  });

  test("errors have one shape with the request id, which a caller may choose", async () => {
    const res = await app.inject({
      url: "/api/v1/nothing-here",
      headers: { ...as("viewer"), "x-request-id": "abc-123" },
    });
    assert.equal(res.statusCode, 404);
    assert.equal(res.headers["x-request-id"], "abc-123");
    assert.deepEqual(Object.keys((res.json() as { error: object }).error).sort(), [
      "code",
      "fix",
      "message",
      "requestId",
    ]);
    assert.equal((res.json() as { error: { requestId: string } }).error.requestId, "abc-123");
  });

  test("a validation error names the field", async () => {
    const res = await app.inject({
      url: "/api/v1/connections/default/resources?kind=widget",
      headers: as("viewer"),
    });
    assert.equal(res.statusCode, 400);
    const error = (res.json() as { error: { code: string; message: string } }).error;
    assert.equal(error.code, "API_INPUT_INVALID");
    assert.match(error.message, /kind/);
    const body = await app.inject({
      method: "POST",
      url: "/api/v1/connections/default/sync",
      headers: as("operator"),
      payload: { full: "yes" },
    });
    assert.equal(body.statusCode, 400);
    assert.match((body.json() as { error: { message: string } }).error.message, /full/);
    const unknown = await app.inject({ url: "/api/v1/connections/nope", headers: as("viewer") });
    assert.equal((unknown.json() as { error: { code: string } }).error.code, "CONNECTION_NOT_FOUND");
  });

  test("sync now runs once per connection, reports its status, and fills the store that resources pages through", async () => {
    const first = await app.inject({
      method: "POST",
      url: "/api/v1/connections/default/sync",
      headers: as("operator"),
      payload: { full: true },
    });
    assert.equal(first.statusCode, 202, first.body);
    const { runId } = first.json() as { runId: string };
    const second = await app.inject({
      method: "POST",
      url: "/api/v1/connections/default/sync",
      headers: as("operator"),
    });
    assert.equal(second.statusCode, 409);
    assert.match((second.json() as { error: { message: string } }).error.message, new RegExp(runId));
    const events = await app.inject({
      url: `/api/v1/connections/default/runs/${runId}/events`,
      headers: as("viewer"),
    });
    assert.equal(events.headers["content-type"], "text/event-stream");
    assert.match(events.body, /event: progress\n/);
    assert.match(events.body, /event: end\ndata: .*"status":"succeeded"/);
    const done = await waitForRun(runId);
    assert.equal(done["status"], "succeeded", JSON.stringify(done));

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = `kind=user&limit=7${cursor ? `&cursor=${cursor}` : ""}`;
      const res = await app.inject({
        url: `/api/v1/connections/default/resources?${query}`,
        headers: as("viewer"),
      });
      assert.equal(res.statusCode, 200, res.body);
      const page = res.json() as { items: { id: string }[]; next: string | null };
      seen.push(...page.items.map((i) => i.id));
      cursor = page.next;
    } while (cursor);
    const snapshot = (await emu.snapshot()) as { users: { id: string }[] };
    const expected = snapshot.users.map((u) => u.id);
    assert.deepEqual([...seen].sort(), [...expected].sort());
    assert.equal(new Set(seen).size, seen.length, "no user on two pages");

    const csv = await app.inject({
      url: "/api/v1/connections/default/exports/users?format=csv",
      headers: as("viewer"),
    });
    assert.equal(csv.statusCode, 200);
    assert.match(String(csv.headers["content-disposition"]), /users\.csv/);
    assert.equal(
      csv.body.trimEnd().split("\r\n").length,
      expected.length + 1,
      "a header and one line per user",
    );
    const diff = await app.inject({
      url: "/api/v1/connections/default/diff?from=1&to=1",
      headers: as("viewer"),
    });
    assert.equal(diff.statusCode, 200, diff.body);

    const connections = await app.inject({ url: "/api/v1/connections", headers: as("viewer") });
    const [conn] = (
      connections.json() as { items: { id: string; status: string; lastRun: { runId: string } }[] }
    ).items;
    assert.equal(conn?.id, "default");
    assert.equal(conn?.status, "connected");
  });

  test("actions: reads and dry runs for operators, real writes only for admins and behind the provisioning gate, audited with who", async () => {
    const list = await app.inject({ url: "/api/v1/actions", headers: as("viewer") });
    const actions = (list.json() as { items: { name: string; inputSchema: object }[] }).items;
    assert.ok(actions.some((a) => a.name === "update-user" && "properties" in a.inputSchema));
    const snapshot = (await emu.snapshot()) as { users: { userPrincipalName: string }[] };
    const upn = snapshot.users[0]!.userPrincipalName;
    const url = "/api/v1/connections/default/actions";
    const read = await app.inject({
      method: "POST",
      url: `${url}/get-user`,
      headers: as("operator"),
      payload: { input: { user: upn } },
    });
    assert.equal(read.statusCode, 200, read.body);
    assert.equal((read.json() as { user: { userPrincipalName: string } }).user.userPrincipalName, upn);
    const input = { user: upn, jobTitle: "Auditor" };
    const dry = await app.inject({
      method: "POST",
      url: `${url}/update-user`,
      headers: as("operator"),
      payload: { input, dryRun: true },
    });
    assert.equal(dry.statusCode, 200, dry.body);
    assert.equal((dry.json() as { requests: { method: string }[] }).requests[0]?.method, "PATCH");
    const real = await app.inject({
      method: "POST",
      url: `${url}/update-user`,
      headers: as("operator"),
      payload: { input },
    });
    assert.equal(real.statusCode, 403);
    const gated = await app.inject({
      method: "POST",
      url: `${url}/update-user`,
      headers: as("admin"),
      payload: { input },
    });
    assert.equal((gated.json() as { error: { code: string } }).error.code, "PROVISIONING_DISABLED");
    const audit = await app.inject({
      url: "/api/v1/connections/default/audit?action=update-user",
      headers: as("operator"),
    });
    const entries = (audit.json() as { items: { result: string; detail: { actor: string } }[] }).items;
    assert.ok(
      entries.some((e) => e.result === "dry-run" && e.detail.actor === "operator"),
      audit.body,
    );
  });

  test("runs are paged newest first by a cursor, each run once", async () => {
    for (let i = 0; i < 2; i++) {
      const res = await app.inject({
        method: "POST",
        url: "/api/v1/connections/default/sync",
        headers: as("operator"),
      });
      assert.equal(res.statusCode, 202, res.body);
      await waitForRun((res.json() as { runId: string }).runId);
    }
    const all = (
      await app.inject({ url: "/api/v1/connections/default/runs", headers: as("viewer") })
    ).json() as {
      items: { runId: string }[];
      next: string | null;
    };
    assert.ok(all.items.length >= 3, JSON.stringify(all));
    assert.equal(all.next, null);
    const paged: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await app.inject({
        url: `/api/v1/connections/default/runs?limit=2${cursor ? `&cursor=${cursor}` : ""}`,
        headers: as("viewer"),
      });
      const page = res.json() as { items: { runId: string }[]; next: string | null };
      assert.ok(page.items.length <= 2);
      paged.push(...page.items.map((r) => r.runId));
      cursor = page.next;
    } while (cursor);
    assert.deepEqual(
      paged,
      all.items.map((r) => r.runId),
    );
    const bad = await app.inject({
      url: "/api/v1/connections/default/runs?cursor=abc",
      headers: as("viewer"),
    });
    assert.equal(bad.statusCode, 400);
  });

  test("a cursor from another listing is refused", async () => {
    const res = await app.inject({
      url: "/api/v1/connections/default/resources?kind=user&limit=1",
      headers: as("viewer"),
    });
    const { next } = res.json() as { next: string };
    const other = await app.inject({
      url: `/api/v1/connections/default/resources?kind=group&cursor=${next}`,
      headers: as("viewer"),
    });
    assert.equal(other.statusCode, 400);
    assert.equal((other.json() as { error: { code: string } }).error.code, "API_CURSOR_INVALID");
  });

  test("no answer carries the client secret or an API token", async () => {
    const bodies = await Promise.all(
      [
        "/api/v1/connections",
        "/api/v1/connections/default",
        "/api/v1/connections/default/runs",
        "/metrics",
      ].map(async (url) => (await app.inject({ url, headers: as("admin") })).body),
    );
    for (const body of bodies) {
      assert.ok(!body.includes(String(env["ENTRA_CLIENT_SECRET"])), "client secret in an answer");
      for (const t of Object.values(tokens)) assert.ok(!body.includes(t), "API token in an answer");
    }
  });
});
