/**
 * Connections isolated from callers limited to others: two connections on two emulated tenants, A (the
 * environment's) and B (managed), and an operator and an admin limited to A. Every operation of the
 * OpenAPI document (never a list kept here, so a new route is walked the day it is added) is called
 * with B's id, with A's id and B's runs, subscriptions and users, and with bodies naming B: no answer
 * shows anything of B, an answer about B is the one a connection that does not exist gets, and B's
 * connection, store, jobs and tenant are as they were.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { startEmulator } from "@entra-connector/graph-emulator";
import {
  createLogger,
  loadConnectorKey,
  openConnections,
  openServiceState,
  type RunningService,
  type ServiceState,
  serviceStatePath,
  startService,
} from "../src/index.ts";
import { type Emulator, emulatorEnv } from "./sync-support.ts";

const A = "default";
const B = "bravo";

type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
interface Answer {
  status: number;
  body: string;
}
interface Operation {
  method: Method;
  path: string;
  body?: Schema;
  role: string;
}
interface Schema {
  type?: string | string[];
  properties?: Record<string, Schema>;
  items?: Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
  enum?: unknown[];
  const?: unknown;
}

describe("a caller limited to connections, through every route", () => {
  let emuA: Emulator;
  let emuB: Emulator;
  let dir: string;
  let state: ServiceState;
  let service: RunningService;
  const tokens: Record<string, string> = {};
  /** B's run, subscription and a user of B's tenant: what a path below A could name. */
  const ofB: Record<string, string> = {};

  before(async () => {
    const emulator = (seed: number) =>
      startEmulator({ port: 0, latency: "none", throttle: false, faultRate: 0, size: "s", seed });
    [emuA, emuB] = await Promise.all([emulator(21), emulator(22)]);
    dir = mkdtempSync(join(tmpdir(), "entra-isolation-"));
    state = openServiceState(serviceStatePath(dir));
    tokens["admin"] = (await state.createToken({ name: "admin", role: "admin" })).token;
    for (const role of ["operator", "admin"] as const) {
      tokens[`a-${role}`] = (await state.createToken({ name: `a-${role}`, role, connections: [A] })).token;
    }
    const key = await loadConnectorKey({ stateDir: dir });
    // A is the environment's connection on one tenant; managed ones, B among them, sign in to the other.
    const managed = { key, env: emulatorEnv(emuB, join(dir, "unused.db"), "s"), stateDir: dir };
    service = await startService({
      state,
      connections: await openConnections({
        key,
        env: emulatorEnv(emuA, join(dir, "a.db"), "s"),
        stateDir: dir,
        state,
      }),
      managed,
      logger: createLogger({ level: "silent" }),
      version: "test",
      listen: { host: "127.0.0.1", port: 0 },
      metricsOpen: false,
      graceMs: 5000,
    });
    const created = await call("admin", "POST", "/api/v1/connections", {
      id: B,
      name: "Bravo Tenant",
      tenantId: emuB.tenantId,
      clientId: emuB.clientId,
      credential: { type: "secret", secret: emuB.clientSecret },
    });
    assert.equal(created.status, 201, created.body);
    for (const id of [A, B]) {
      const run = await call("admin", "POST", `/api/v1/connections/${id}/sync`, { full: true });
      assert.equal(run.status, 202, run.body);
      const runId = String(JSON.parse(run.body).runId);
      if (id === B) ofB["runId"] = runId;
      assert.equal((await finished(id, runId))["status"], "succeeded");
    }
    const subscribed = await call("admin", "POST", `/api/v1/connections/${B}/subscriptions`, {
      url: "http://127.0.0.1:9/hook",
      types: ["user.created"],
    });
    assert.equal(subscribed.status, 201, subscribed.body);
    ofB["sid"] = String(JSON.parse(subscribed.body).subscription.id);
    ofB["ref"] = String(JSON.parse((await usersOf(B)).body).items[0].id);
    assert.ok(!(await usersOf(A)).body.includes(ofB["ref"]), "the two tenants share no user");
  });

  after(async () => {
    await service?.close();
    await Promise.all([emuA?.close(), emuB?.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  async function call(who: string, method: Method, url: string, payload?: unknown): Promise<Answer> {
    const res = await service.app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${tokens[who]}` },
      ...(payload === undefined ? {} : { payload: payload as object }),
    });
    return { status: res.statusCode, body: res.body };
  }

  const usersOf = (id: string) =>
    call("admin", "GET", `/api/v1/connections/${id}/resources?kind=user&limit=5`);

  async function finished(id: string, runId: string): Promise<Record<string, unknown>> {
    for (;;) {
      const run = JSON.parse((await call("admin", "GET", `/api/v1/connections/${id}/runs/${runId}`)).body);
      if (run.status !== "queued" && run.status !== "running") return run;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Everything that would show something of B: its id, name, tenant, run, subscription and a user. */
  const markersOfB = () => [B, "Bravo Tenant", emuB.tenantId, ofB["runId"]!, ofB["sid"]!, ofB["ref"]!];

  /** What B is, as an admin for all connections, the service's jobs and B's own tenant see it. */
  async function stateOfB(): Promise<Record<string, unknown>> {
    const reads = [
      `/api/v1/connections/${B}`,
      `/api/v1/connections/${B}/runs?limit=200`,
      `/api/v1/connections/${B}/subscriptions`,
      `/api/v1/connections/${B}/audit?limit=500`,
      `/api/v1/connections/${B}/changes?limit=200`,
      `/api/v1/connections/${B}/resources?kind=user&limit=500`,
    ];
    const answers: Record<string, unknown> = {};
    for (const url of reads) {
      const res = await call("admin", "GET", url);
      assert.equal(res.status, 200, `${url}: ${res.body}`);
      answers[url] = JSON.parse(res.body);
    }
    return {
      answers,
      jobs: (await service.jobs.list({ connectionId: B })).map((j) => [j.id, j.kind, j.status]),
      record: (await state.listConnections()).find((c) => c.id === B),
      graphRequests: emuB.stats().requests,
      tenant: createHash("sha256")
        .update(JSON.stringify(await emuB.snapshot()))
        .digest("hex"),
    };
  }

  async function operations(): Promise<Operation[]> {
    const res = await service.app.inject({ url: "/api/v1/openapi.json" });
    const doc = res.json() as {
      paths: Record<
        string,
        Record<string, { "x-role": string; requestBody?: { content: Record<string, { schema: Schema }> } }>
      >;
    };
    return Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, op]) => ({
        method: method.toUpperCase() as Method,
        path,
        role: op["x-role"],
        ...(op.requestBody ? { body: op.requestBody.content["application/json"]!.schema } : {}),
      })),
    );
  }

  /** A body for a schema whose every string names B (its id, tenant, app, secret where the key says so). */
  function bodyNamingB(schema: Schema, key = ""): unknown {
    const first = schema.anyOf?.[0] ?? schema.oneOf?.[0];
    if (first) return bodyNamingB(first, key);
    if (schema.const !== undefined) return schema.const;
    if (schema.enum) return schema.enum[0];
    const type = [schema.type ?? "string"].flat().find((t) => t !== "null");
    if (type === "object")
      return Object.fromEntries(
        Object.entries(schema.properties ?? {}).map(([k, s]) => [k, bodyNamingB(s, k)]),
      );
    if (type === "array") return [bodyNamingB(schema.items ?? {}, key)];
    if (type === "boolean") return true;
    if (type === "number" || type === "integer") return 1;
    const named: Record<string, string> = {
      tenantId: emuB.tenantId,
      clientId: emuB.clientId,
      secret: emuB.clientSecret,
      url: "http://127.0.0.1:9/hook",
      ...ofB,
    };
    return named[key] ?? B;
  }

  /** The path with its connection `connection` and every other parameter one of `others` (or `x`). */
  function pathFor(path: string, connection: string, others: Record<string, string> = ofB): string {
    return path
      .replace(/\/connections\/\{\w+\}/, `/connections/${connection}`)
      .replace(/\{(\w+)\}/g, (_m, name: string) =>
        encodeURIComponent(name === "kind" ? "user" : name === "name" ? "get-group" : (others[name] ?? "x")),
      );
  }

  /** Two answers alike in status and error code: nothing tells one asked-for thing from the other. */
  function alike(res: Answer, other: Answer, at: string): void {
    assert.equal(res.status, other.status, `${at}: ${res.body} / ${other.body}`);
    const code = (a: Answer) => (a.status >= 400 ? JSON.parse(a.body).error.code : undefined);
    assert.equal(code(res), code(other), at);
  }

  test("lists name only the caller's connections; B's own routes answer as if B did not exist", async () => {
    const listed = JSON.parse((await call("a-operator", "GET", "/api/v1/connections")).body);
    assert.deepEqual(
      listed.items.map((c: { id: string }) => c.id),
      [A],
    );
    const everything = JSON.parse((await call("admin", "GET", "/api/v1/connections")).body);
    assert.deepEqual(everything.items.map((c: { id: string }) => c.id).sort(), [B, A].sort());

    const metrics = await call("a-operator", "GET", "/metrics");
    assert.equal(metrics.status, 200);
    assert.match(metrics.body, /connection="default"/);
    assert.doesNotMatch(metrics.body, /connection="bravo"/);
    assert.match((await call("admin", "GET", "/metrics")).body, /connection="bravo"/);

    for (const id of [B, "no-such-connection"]) {
      const res = await call("a-operator", "GET", `/api/v1/connections/${id}/runs`);
      assert.equal(res.status, 404);
      assert.equal(JSON.parse(res.body).error.code, "CONNECTION_NOT_FOUND");
    }
    assert.equal((await call("a-operator", "GET", `/api/v1/connections/${A}/runs`)).status, 200);
    const create = await call("a-admin", "POST", "/api/v1/connections", { name: "More" });
    assert.equal(create.status, 403);
    assert.equal(JSON.parse(create.body).error.code, "API_CONNECTIONS_LIMITED");
  });

  test("a console session of a limited user or token is limited the same way", async () => {
    await state.addUser({ name: "ada", role: "admin", password: "a long enough password", connections: [A] });
    for (const credentials of [
      { username: "ada", password: "a long enough password" },
      { token: tokens["a-admin"] },
    ]) {
      const signIn = await service.app.inject({
        method: "POST",
        url: "/api/v1/session",
        payload: credentials,
      });
      assert.equal(signIn.statusCode, 200, signIn.body);
      const cookie = String(signIn.headers["set-cookie"]).split(";")[0]!;
      const session = signIn.json() as { connections?: string[]; csrfToken: string };
      assert.deepEqual(session.connections, [A]);
      const list = await service.app.inject({ url: "/api/v1/connections", headers: { cookie } });
      assert.deepEqual(
        (list.json() as { items: { id: string }[] }).items.map((c) => c.id),
        [A],
      );
      const patch = await service.app.inject({
        method: "PATCH",
        url: `/api/v1/connections/${B}`,
        headers: { cookie, "x-csrf-token": session.csrfToken },
        payload: { name: "Taken over" },
      });
      assert.equal(patch.statusCode, 404);
    }
  });

  test("no operation of the OpenAPI document shows, changes or starts anything of B", async () => {
    const before = await stateOfB();
    const ops = await operations();
    const aboutAConnection = ops.filter((op) => /\/connections\/\{\w+\}/.test(op.path));
    assert.ok(aboutAConnection.length >= 20, `only ${aboutAConnection.length} connection routes walked`);
    assert.ok(ops.length > aboutAConnection.length, "no route about the whole service walked");
    // Deleting A last keeps A there for the other calls (it is the environment's and stays anyway).
    ops.sort((x, y) => Number(x.method === "DELETE") - Number(y.method === "DELETE"));
    const walked: string[] = [];
    for (const who of ["a-operator", "a-admin"]) {
      for (const op of ops) {
        const body = op.body ? bodyNamingB(op.body) : undefined;
        const at = `${who} ${op.method} ${op.path}`;
        const aboutB = aboutAConnection.includes(op) ? [pathFor(op.path, B)] : [];
        const urls = [...aboutB, pathFor(op.path, A)];
        for (const url of urls) {
          const res = await call(who, op.method, url, body);
          const sent = url + JSON.stringify(body ?? "");
          for (const marker of markersOfB().filter((m) => !sent.includes(m))) {
            assert.ok(
              !res.body.includes(marker),
              `${at} (${url}) answered ${marker}: ${res.body.slice(0, 300)}`,
            );
          }
          if (url === aboutB[0]) {
            // Exactly what a connection that does not exist gets, so B's existence does not show.
            assert.ok(
              res.status === 404 || res.status === 403,
              `${at} with B's id: ${res.status} ${res.body}`,
            );
            alike(res, await call(who, op.method, pathFor(op.path, "no-such-connection"), body), at);
          } else if (url !== pathFor(op.path, A, {})) {
            // B's run, subscription or user below A: answered as one that does not exist.
            alike(res, await call(who, op.method, pathFor(op.path, A, {}), body), `${at} (${url})`);
          }
        }
        walked.push(at);
      }
    }
    assert.equal(walked.length, ops.length * 2);
    // A sync of A the walk started may still run: it must end before B is compared and the service stops.
    for (const job of await service.jobs.list({ connectionId: A })) {
      if (job.status === "queued" || job.status === "running") await finished(A, job.id);
    }
    assert.deepEqual(await stateOfB(), before);
  });
});
