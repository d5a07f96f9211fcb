/**
 * Connections managed through the service API, against the emulator: create with a wrong secret (the
 * test names the cause) then the right one, sync into the connection's own store, two connections
 * isolated, a replaced credential never answered from cached tokens, credentials never in an answer
 * nor in clear in the state file, removal, and the browser sign-in of a delegated connection.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { appToken, startEmulator } from "@entra-connector/graph-emulator";
import { Agent } from "undici";
import {
  connectionDir,
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

interface Check {
  ok: boolean;
  error?: { code: string; message: string; fix?: string };
  items: { capability: string; status: string; permission: string }[];
  consentUrl?: string;
}
interface View {
  id: string;
  source: string;
  status: string;
  credential: { type: string; set: boolean; changedAt: string | null };
  options: Record<string, unknown>;
}

describe("managed connections", () => {
  let emu: Emulator;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let state: ServiceState;
  let service: RunningService;
  const tokens: Record<string, string> = {};
  const bodies: string[] = [];

  before(async () => {
    emu = await startEmulator({
      port: 0,
      latency: "none",
      throttle: false,
      faultRate: 0,
      size: "s",
      seed: 7,
    });
    dir = mkdtempSync(join(tmpdir(), "entra-managed-"));
    env = emulatorEnv(emu, join(dir, "store.db"), "s");
    state = openServiceState(serviceStatePath(dir));
    for (const role of ["viewer", "operator", "admin"] as const) {
      tokens[role] = (await state.createToken({ name: role, role })).token;
    }
    const managed = { key: await loadConnectorKey({ stateDir: dir }), env, stateDir: dir };
    service = await startService({
      state,
      connections: await openConnections({ ...managed, state }),
      managed,
      logger: createLogger({ level: "silent" }),
      version: "test",
      listen: { host: "127.0.0.1", port: 0 },
      metricsOpen: false,
      graceMs: 5000,
    });
  });

  after(async () => {
    await service.close();
    await emu.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function call(
    method: "GET" | "POST" | "PATCH" | "DELETE",
    url: string,
    role: string,
    payload?: object,
  ): Promise<{ status: number; body: Record<string, unknown> }> {
    const res = await service.app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${tokens[role]}` },
      ...(payload ? { payload } : {}),
    });
    bodies.push(res.body);
    return { status: res.statusCode, body: res.body === "" ? {} : (res.json() as Record<string, unknown>) };
  }

  async function syncAndWait(id: string, payload: object = {}): Promise<Record<string, unknown>> {
    const started = await call("POST", `/api/v1/connections/${id}/sync`, "operator", payload);
    assert.equal(started.status, 202, JSON.stringify(started.body));
    for (;;) {
      const { body } = await call("GET", `/api/v1/connections/${id}/runs/${started.body["runId"]}`, "viewer");
      if (body["status"] !== "queued" && body["status"] !== "running") return body;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async function userIds(id: string): Promise<string[]> {
    const { status, body } = await call(
      "GET",
      `/api/v1/connections/${id}/resources?kind=user&limit=500`,
      "viewer",
    );
    assert.equal(status, 200, JSON.stringify(body));
    return (body["items"] as { id: string }[]).map((i) => i.id);
  }

  const base = () => ({ tenantId: emu.tenantId, clientId: emu.clientId });

  test("bad input is refused naming the field, before anything is stored", async () => {
    const bad = await call("POST", "/api/v1/connections", "admin", {
      ...base(),
      name: "Bad",
      tenantId: "not a tenant",
      credential: { type: "secret", secret: "x" },
    });
    assert.equal(bad.status, 400);
    assert.match(JSON.stringify(bad.body), /tenantId/);
    const schedule = await call("POST", "/api/v1/connections", "admin", {
      ...base(),
      name: "Bad schedule",
      credential: { type: "secret", secret: "x" },
      options: { schedule: "every now and then" },
    });
    assert.equal(schedule.status, 400);
    assert.match(JSON.stringify(schedule.body), /options\.schedule/);
    const kinds = await call("POST", "/api/v1/connections", "admin", {
      ...base(),
      name: "Bad kinds",
      credential: { type: "secret", secret: "x" },
      options: { kinds: "users,widgets" },
    });
    assert.match(JSON.stringify(kinds.body), /options\.kinds.*widgets/);
    assert.deepEqual(await state.listConnections(), []);
    assert.equal(existsSync(connectionDir(dir, "bad-schedule")), false, "no folder left behind");
  });

  test("created with a wrong secret it is kept and its test names the cause; the right secret passes", async () => {
    const created = await call("POST", "/api/v1/connections", "admin", {
      ...base(),
      name: "Contoso A",
      credential: { type: "secret", secret: "wrong-secret-value" },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const connection = created.body["connection"] as View;
    assert.equal(connection.id, "contoso-a");
    assert.equal(connection.source, "managed");
    assert.equal(connection.credential.type, "secret");
    assert.equal(connection.credential.set, true);
    const check = created.body["check"] as Check;
    assert.equal(check.ok, false);
    assert.equal(check.error?.code, "AUTH_INVALID_SECRET");
    assert.match(check.error?.message ?? "", /client secret/);

    const fixed = await call("PATCH", "/api/v1/connections/contoso-a", "admin", {
      credential: { type: "secret", secret: emu.clientSecret },
    });
    assert.equal(fixed.status, 200, JSON.stringify(fixed.body));
    const recheck = fixed.body["check"] as Check;
    assert.equal(recheck.error, undefined, JSON.stringify(recheck));
    assert.ok(recheck.items.some((i) => i.capability.startsWith("sync") && i.status === "granted"));
    const renamed = await call("PATCH", "/api/v1/connections/contoso-a", "admin", { name: "Contoso" });
    assert.equal(renamed.body["check"], undefined, "no test when only the name changed");

    const tested = await call("POST", "/api/v1/connections/contoso-a/test", "operator");
    assert.equal(tested.status, 200);
    assert.equal((tested.body as unknown as Check).error, undefined);
  });

  test("a managed connection syncs into its own store; another one never shows its data", async () => {
    const done = await syncAndWait("contoso-a", { full: true });
    assert.equal(done["status"], "succeeded", JSON.stringify(done));
    assert.ok(existsSync(join(connectionDir(dir, "contoso-a"), "store.db")));
    const snapshot = (await emu.snapshot()) as { users: { id: string }[] };
    assert.deepEqual((await userIds("contoso-a")).sort(), snapshot.users.map((u) => u.id).sort());

    const other = await call("POST", "/api/v1/connections", "admin", {
      ...base(),
      id: "b",
      name: "Groups only",
      credential: { type: "secret", secret: emu.clientSecret },
      options: { kinds: "groups" },
    });
    assert.equal(other.status, 201, JSON.stringify(other.body));
    assert.equal(((other.body["connection"] as View).options as { kinds: string }).kinds, "groups");
    const synced = await syncAndWait("b");
    assert.equal(synced["status"], "succeeded", JSON.stringify(synced));
    assert.deepEqual(await userIds("b"), [], "B's store holds none of A's users");
    assert.ok((await userIds("contoso-a")).length > 0);
    const taken = await call("POST", "/api/v1/connections", "admin", {
      ...base(),
      id: "b",
      name: "Again",
      credential: { type: "delegated" },
    });
    assert.equal(taken.status, 409);
    assert.equal((taken.body["error"] as { code: string }).code, "CONNECTION_ID_TAKEN");
  });

  test("a replaced secret is never served from the cached tokens", async () => {
    const replaced = await call("PATCH", "/api/v1/connections/contoso-a", "admin", {
      credential: { type: "secret", secret: "replaced-wrong-secret" },
    });
    assert.equal((replaced.body["check"] as Check).error?.code, "AUTH_INVALID_SECRET");
    const run = await syncAndWait("contoso-a");
    assert.equal(run["status"], "failed", JSON.stringify(run));
    assert.match(JSON.stringify(run), /client secret is not valid.*AADSTS7000215/);
    const back = await call("PATCH", "/api/v1/connections/contoso-a", "admin", {
      credential: { type: "secret", secret: emu.clientSecret },
    });
    assert.equal((back.body["check"] as Check).error, undefined);
  });

  test("a certificate credential works from the PEMs alone; a schedule set later is followed", async () => {
    const cert = emu.apps.certificate;
    const created = await call("POST", "/api/v1/connections", "admin", {
      tenantId: emu.tenantId,
      clientId: cert.clientId,
      name: "Cert",
      credential: {
        type: "certificate",
        certificatePem: readFileSync(cert.certificateFile, "utf8"),
        privateKeyPem: readFileSync(cert.keyFile, "utf8"),
      },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal((created.body["check"] as Check).error, undefined, JSON.stringify(created.body["check"]));
    const scheduled = await call("PATCH", "/api/v1/connections/cert", "admin", {
      options: { schedule: "every 1h", kinds: "groups" },
    });
    assert.equal(scheduled.status, 200, JSON.stringify(scheduled.body));
    // Never synced, so the scheduler picks it up at once, then plans the next slot.
    for (;;) {
      const { body } = await call("GET", "/api/v1/connections/cert", "viewer");
      if (body["lastRun"] !== null && body["activeRunId"] === null && body["nextRunAt"] !== null) break;
      await new Promise((r) => setTimeout(r, 50));
    }
  });

  test("a pre-issued token is a credential too, and is never shown back", async () => {
    const browser = new Agent({ connect: { ca: readFileSync(emu.caFile, "utf8") } });
    const token = await appToken(emu, { dispatcher: browser }).finally(() => browser.close());
    const created = await call("POST", "/api/v1/connections", "admin", {
      ...base(),
      name: "Token",
      credential: { type: "token", token },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal((created.body["connection"] as View).credential.type, "token");
    assert.equal((created.body["check"] as Check).error, undefined, JSON.stringify(created.body["check"]));
    assert.ok(!bodies.some((b) => b.includes(token)));
    assert.equal((await call("DELETE", "/api/v1/connections/token", "admin")).status, 204);
  });

  test("the environment's connection is read-only; a syncing one cannot be removed; removal takes its store", async () => {
    const env = await call("DELETE", "/api/v1/connections/default", "admin");
    assert.equal(env.status, 409);
    assert.equal((env.body["error"] as { code: string }).code, "CONNECTION_READ_ONLY");
    const list = await call("GET", "/api/v1/connections", "viewer");
    const items = list.body["items"] as View[];
    assert.deepEqual(
      items.map((i) => [i.id, i.source]),
      [
        ["default", "environment"],
        ["contoso-a", "managed"],
        ["b", "managed"],
        ["cert", "managed"],
      ],
    );
    assert.equal(list.body["next"], null);

    const started = await call("POST", "/api/v1/connections/b/sync", "operator", { full: true });
    const busy = await call("DELETE", "/api/v1/connections/b", "admin");
    assert.equal(busy.status, 409, JSON.stringify(busy.body));
    assert.match(JSON.stringify(busy.body), new RegExp(String(started.body["runId"])));
    while (
      (await call("GET", `/api/v1/connections/b/runs/${started.body["runId"]}`, "viewer")).body["status"] ===
      "running"
    ) {
      await new Promise((r) => setTimeout(r, 50));
    }
    for (;;) {
      const res = await call("DELETE", "/api/v1/connections/b", "admin");
      if (res.status === 204) break;
      assert.equal(res.status, 409);
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal((await call("GET", "/api/v1/connections/b", "viewer")).status, 404);
    assert.equal(existsSync(connectionDir(dir, "b")), false);
  });

  test("delegated: sign in with the browser, the refresh token is stored sealed, the sync works; the state is single-use", async () => {
    const d = emu.apps.delegated;
    const created = await call("POST", "/api/v1/connections", "admin", {
      tenantId: emu.tenantId,
      clientId: d.clientId,
      name: "Delegated",
      credential: { type: "delegated" },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal((created.body["connection"] as View).credential.set, false);
    assert.equal((created.body["check"] as Check).error?.code, "AUTH_LOGIN_REQUIRED");

    const start = await call("POST", "/api/v1/connections/delegated/oauth/start", "admin");
    assert.equal(start.status, 200, JSON.stringify(start.body));
    const authorize = new URL(String(start.body["authorizeUrl"]));
    assert.equal(authorize.searchParams.get("code_challenge_method"), "S256");
    assert.equal(authorize.searchParams.get("redirect_uri"), `${service.url}/oauth/callback`);
    const browser = new Agent({ connect: { ca: readFileSync(emu.caFile, "utf8") } });
    try {
      const login = await fetch(authorize, { redirect: "manual", dispatcher: browser } as RequestInit);
      const callback = login.headers.get("location") ?? "";
      assert.ok(callback.startsWith(`${service.url}/oauth/callback?`), callback);
      const back = await fetch(callback, { redirect: "manual" });
      assert.equal(back.status, 302, await back.text());
      assert.equal(back.headers.get("location"), "/console/connections/delegated");
      const again = await fetch(callback, { redirect: "manual" });
      assert.equal(again.status, 400);
      assert.match(await again.text(), /OAUTH_STATE_INVALID/);
    } finally {
      await browser.close();
    }
    const view = (await call("GET", "/api/v1/connections/delegated", "viewer")).body as unknown as View;
    assert.equal(view.credential.set, true);
    assert.ok(view.credential.changedAt);
    const run = await syncAndWait("delegated", { kinds: "users" });
    assert.equal(run["status"], "succeeded", JSON.stringify(run));

    const unknown = await fetch(`${service.url}/oauth/callback?code=x&state=never-issued`);
    assert.equal(unknown.status, 400);
    assert.match(await unknown.text(), /Sign-in failed/);
  });

  test("a refused consent comes back as a page naming the cause with the admin-consent link", async () => {
    const start = await call("POST", "/api/v1/connections/delegated/oauth/start", "admin");
    const state = new URL(String(start.body["authorizeUrl"])).searchParams.get("state") ?? "";
    const query = new URLSearchParams({
      state,
      error: "consent_required",
      error_description: "AADSTS65001: The user or administrator has not consented to use the application.",
    });
    const res = await fetch(`${service.url}/oauth/callback?${query}`, { redirect: "manual" });
    assert.equal(res.headers.get("content-type"), "text/html; charset=utf-8");
    const page = await res.text();
    assert.match(page, /AUTH_CONSENT_REQUIRED/);
    assert.match(page, /<a href="[^"]*\/adminconsent\?client_id=/);
    const oauthStartOnSecret = await call("POST", "/api/v1/connections/contoso-a/oauth/start", "admin");
    assert.equal(oauthStartOnSecret.status, 400);
    assert.match(JSON.stringify(oauthStartOnSecret.body), /credential\.type/);
  });

  test("every change is audited with the token that made it", async () => {
    const audit = await state.listAudit();
    const actions = audit.map((e) => `${e.action} ${e.connectionId} ${e.actor}`);
    assert.ok(actions.includes("create contoso-a admin"), actions.join("\n"));
    assert.ok(actions.includes("credential contoso-a admin"));
    assert.ok(actions.includes("update contoso-a admin"));
    assert.ok(actions.includes("delete b admin"));
    assert.ok(actions.includes("credential delegated admin"), "the sign-in is the admin's who started it");
  });

  test("an admin reads a connection's changes, newest first and paged, each naming the token; a viewer may not", async () => {
    type Change = { at: string; action: string; actor: string; detail: Record<string, unknown> };
    const all = await call("GET", "/api/v1/connections/contoso-a/changes", "admin");
    assert.equal(all.status, 200, JSON.stringify(all.body));
    const items = all.body["items"] as Change[];
    assert.equal(all.body["next"], null);
    const actions = items.map((e) => `${e.action} ${e.actor}`);
    assert.equal(actions.at(-1), "create admin", `the creation is the oldest: ${actions.join(", ")}`);
    assert.ok(actions.includes("credential admin"), actions.join(", "));
    assert.deepEqual(items.find((e) => e.action === "credential")?.detail, { type: "secret" });
    assert.ok(items.every((e) => !Number.isNaN(Date.parse(e.at))));

    const first = await call("GET", "/api/v1/connections/contoso-a/changes?limit=1", "admin");
    assert.deepEqual(first.body["items"], items.slice(0, 1));
    const second = await call(
      "GET",
      `/api/v1/connections/contoso-a/changes?limit=1&cursor=${first.body["next"]}`,
      "admin",
    );
    assert.deepEqual(second.body["items"], items.slice(1, 2));

    assert.equal((await call("GET", "/api/v1/connections/contoso-a/changes", "viewer")).status, 403);
    assert.equal((await call("GET", "/api/v1/connections/nowhere/changes", "admin")).status, 404);
  });

  test("no credential is in any answer, nor in clear in the state files", () => {
    const cert = emu.apps.certificate;
    const keyBody = readFileSync(cert.keyFile, "utf8").split("\n")[1]!;
    const secrets = [emu.clientSecret, "wrong-secret-value", "replaced-wrong-secret", keyBody];
    for (const body of bodies)
      for (const s of secrets) assert.ok(!body.includes(s), `a credential in ${body.slice(0, 200)}`);
    const stateDir = join(dir, ".entra-connector");
    const files = readdirSync(stateDir, { recursive: true, encoding: "utf8" })
      .map((f) => join(stateDir, f))
      .filter((f) => /service\.db/.test(f));
    assert.ok(files.length > 0);
    for (const f of files) {
      const bytes = readFileSync(f);
      for (const s of secrets) assert.equal(bytes.includes(s), false, `${s.slice(0, 4)}… in clear in ${f}`);
    }
  });
});
