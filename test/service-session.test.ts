/**
 * Console sign-in over the API (Fastify's inject): a local user or an API token opens a session held in
 * an HttpOnly SameSite=Strict cookie; changes made with the cookie need the session's CSRF token; sign
 * out, expiry, revocation and one-time links end or refuse sessions; no secret reaches the log or the DB.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { after, before, describe, test } from "node:test";
import {
  buildApp,
  connectionAdmin,
  createLocalJobs,
  createLogger,
  openServiceState,
  registryOf,
  type ServiceState,
} from "../src/index.ts";
import { createMetrics } from "../src/service/metrics.ts";

type App = ReturnType<typeof buildApp>["app"];

const PASSWORD = "correct horse battery staple";

describe("console sessions", () => {
  let dir: string;
  let state: ServiceState;
  let app: App;
  let clock = Date.parse("2026-12-06T10:00:00Z");
  let log = "";
  const tokens: Record<string, string> = {};

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "entra-session-"));
    state = openServiceState(join(dir, "service.db"), () => new Date(clock));
    tokens["operator"] = (await state.createToken({ name: "ops", role: "operator" })).token;
    tokens["viewer"] = (await state.createToken({ name: "watcher", role: "viewer" })).token;
    await state.addUser({ name: "alice", role: "operator", password: PASSWORD });
    const logger = createLogger({
      level: "info",
      destination: new Writable({
        write(chunk, _enc, done) {
          log += String(chunk);
          done();
        },
      }),
    });
    const connections = registryOf([]);
    ({ app } = buildApp({
      state,
      connections,
      admin: connectionAdmin({ state, registry: connections, key: randomBytes(32), env: {}, stateDir: dir }),
      jobs: createLocalJobs({ handlers: {} }),
      metrics: createMetrics(),
      logger,
      version: "test",
      metricsOpen: false,
      ready: () => true,
    }));
    await app.ready();
  });

  after(async () => {
    await app.close();
    await state.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function signIn(payload: Record<string, string>) {
    const res = await app.inject({ method: "POST", url: "/api/v1/session", payload });
    const setCookie = String(res.headers["set-cookie"] ?? "");
    const cookie = setCookie.split(";")[0]!;
    return { res, setCookie, cookie, body: res.json() as { csrfToken: string; role: string; name: string } };
  }

  const errorCode = (res: { json(): unknown }) => (res.json() as { error: { code: string } }).error.code;

  test("a local user signs in with name and password and gets an HttpOnly, SameSite=Strict session cookie", async () => {
    const { res, setCookie, cookie, body } = await signIn({ username: "alice", password: PASSWORD });
    assert.equal(res.statusCode, 200, res.body);
    assert.match(setCookie, /^ec_session=ecsess_[\w-]+; Path=\/; HttpOnly; SameSite=Strict; Max-Age=43200$/);
    assert.equal(body.role, "operator");
    assert.equal(body.name, "alice");
    const list = await app.inject({ url: "/api/v1/connections", headers: { cookie } });
    assert.equal(list.statusCode, 200, list.body);
    const again = await app.inject({ url: "/api/v1/session", headers: { cookie } });
    assert.equal((again.json() as { csrfToken: string }).csrfToken, body.csrfToken);
    const sessionId = cookie.split("=")[1]!;
    assert.ok(!readFileSync(join(dir, "service.db")).includes(sessionId), "the clear session id is stored");
    assert.ok(!readFileSync(join(dir, "service.db")).includes(PASSWORD), "the clear password is stored");
  });

  test("a wrong password, an unknown user and a wrong token are refused alike and logged without the secret", async () => {
    const attempts: Record<string, string>[] = [
      { username: "alice", password: "not the password" },
      { username: "mallory", password: PASSWORD },
      { token: "ecs_forged" },
    ];
    for (const payload of attempts) {
      const { res, setCookie } = await signIn(payload);
      assert.equal(res.statusCode, 401);
      assert.equal(errorCode(res), "API_SIGN_IN_FAILED");
      assert.equal(setCookie, "");
    }
    assert.match(log, /sign-in refused/);
    assert.match(log, /"name":"mallory"/);
    assert.ok(!log.includes("not the password") && !log.includes(PASSWORD) && !log.includes("ecs_forged"));
    assert.match(log, /"via":"user","name":"alice","role":"operator".*"console sign-in"/);
  });

  test("a change made with the cookie needs the session's CSRF token; a bearer token needs none", async () => {
    const { cookie, body } = await signIn({ token: tokens["operator"]! });
    const post = (headers: Record<string, string>) =>
      app.inject({ method: "POST", url: "/api/v1/connections/nope/sync", headers, payload: {} });
    const bare = await post({ cookie });
    assert.equal(bare.statusCode, 403);
    assert.equal(errorCode(bare), "API_CSRF_TOKEN_INVALID");
    const last = body.csrfToken.at(-1) === "A" ? "B" : "A";
    const wrong = await post({ cookie, "x-csrf-token": `${body.csrfToken.slice(0, -1)}${last}` });
    assert.equal(errorCode(wrong), "API_CSRF_TOKEN_INVALID");
    const other = (await signIn({ username: "alice", password: PASSWORD })).body.csrfToken;
    assert.equal(errorCode(await post({ cookie, "x-csrf-token": other })), "API_CSRF_TOKEN_INVALID");
    // Past authentication: the route itself answers.
    const good = await post({ cookie, "x-csrf-token": body.csrfToken });
    assert.equal(errorCode(good), "CONNECTION_NOT_FOUND");
    const bearer = await post({ authorization: `Bearer ${tokens["operator"]}` });
    assert.equal(errorCode(bearer), "CONNECTION_NOT_FOUND");
  });

  test("a session keeps its role: a viewer's session may not start a sync", async () => {
    const { cookie, body } = await signIn({ token: tokens["viewer"]! });
    const res = await app.inject({
      method: "POST",
      url: "/api/v1/connections/nope/sync",
      headers: { cookie, "x-csrf-token": body.csrfToken },
      payload: {},
    });
    assert.equal(res.statusCode, 403);
    assert.equal(errorCode(res), "API_FORBIDDEN");
  });

  test("signing out ends the session and clears the cookie", async () => {
    const { cookie, body } = await signIn({ username: "alice", password: PASSWORD });
    const without = await app.inject({ method: "DELETE", url: "/api/v1/session", headers: { cookie } });
    assert.equal(errorCode(without), "API_CSRF_TOKEN_INVALID");
    const out = await app.inject({
      method: "DELETE",
      url: "/api/v1/session",
      headers: { cookie, "x-csrf-token": body.csrfToken },
    });
    assert.equal(out.statusCode, 204);
    assert.match(String(out.headers["set-cookie"]), /^ec_session=; .*Max-Age=0/);
    const after = await app.inject({ url: "/api/v1/connections", headers: { cookie } });
    assert.equal(after.statusCode, 401);
  });

  test("a session expires; revoking its token or removing its user ends it at once", async () => {
    const byUser = (await signIn({ username: "alice", password: PASSWORD })).cookie;
    const byToken = (await signIn({ token: tokens["viewer"]! })).cookie;
    const status = async (cookie: string) =>
      (await app.inject({ url: "/api/v1/connections", headers: { cookie } })).statusCode;
    assert.equal(await status(byToken), 200);
    await state.revokeToken("watcher");
    assert.equal(await status(byToken), 401);
    await state.addUser({ name: "bob", role: "viewer", password: PASSWORD });
    const bob = (await signIn({ username: "bob", password: PASSWORD })).cookie;
    await state.removeUser("bob");
    assert.equal(await status(bob), 401);
    assert.equal(await status(byUser), 200);
    clock += 12 * 3600_000 + 1;
    assert.equal(await status(byUser), 401);
  });

  test("a one-time sign-in link opens a session once, then is refused; an expired one too", async () => {
    const ticket = await state.createSignInTicket("operator", 60_000);
    const first = await app.inject({ url: `/console/sign-in/${ticket}` });
    assert.equal(first.statusCode, 303);
    assert.equal(first.headers.location, "/console/");
    const cookie = String(first.headers["set-cookie"]).split(";")[0]!;
    const session = await app.inject({ url: "/api/v1/session", headers: { cookie } });
    assert.equal((session.json() as { role: string }).role, "operator");
    const second = await app.inject({ url: `/console/sign-in/${ticket}` });
    assert.equal(second.headers.location, "/console/sign-in?link=expired");
    assert.equal(second.headers["set-cookie"], undefined);
    const late = await state.createSignInTicket("viewer", 60_000);
    clock += 60_001;
    assert.equal(
      (await app.inject({ url: `/console/sign-in/${late}` })).headers.location,
      "/console/sign-in?link=expired",
    );
    assert.ok(!log.includes(ticket), "the link's secret in the log");
  });

  test("the console's page and assets are public, with a strict content security policy", async () => {
    const page = await app.inject({ url: "/console/connections/default" });
    assert.equal(page.statusCode, 200);
    assert.match(String(page.headers["content-type"]), /text\/html/);
    assert.match(String(page.headers["content-security-policy"]), /script-src 'self'/);
    assert.match(page.body, /<main/);
    const script = await app.inject({ url: "/console/assets/app.js" });
    assert.equal(script.statusCode, 200);
    assert.match(String(script.headers["content-type"]), /javascript/);
    assert.equal((await app.inject({ url: "/console/assets/..%2Fstate.ts" })).statusCode, 404);
    assert.equal((await app.inject({ url: "/" })).headers.location, "/console/");
  });
});
