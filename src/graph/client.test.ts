import assert from "node:assert/strict";
import type { ServerResponse } from "node:http";
import { after, before, describe, test } from "node:test";
import { loadConfig } from "../config/load.ts";
import { createConnection } from "../connection.ts";
import { GraphError } from "../errors.ts";
import {
  fakeJwt,
  json,
  type LocalGraph,
  serveTokens,
  startLocalGraph,
  tokenAnswer,
} from "./testing/local-graph.ts";

const TENANT = "11111111-1111-1111-1111-111111111111";
const CLIENT = "22222222-2222-2222-2222-222222222222";

/** Graph's 429 answer (docs/graph.md#throttling). */
function throttled(res: ServerResponse, retryAfter: string): void {
  json(
    res,
    429,
    { error: { code: "TooManyRequests", message: "Please retry again later." } },
    { "retry-after": retryAfter },
  );
}

/** A connection (tokens in memory only) to `url` for both the login service and Graph. */
function connectTo(url: string, extra: Record<string, string> = {}) {
  const config = loadConfig({
    env: {
      ENTRA_TENANT_ID: TENANT,
      ENTRA_CLIENT_ID: CLIENT,
      ENTRA_CLIENT_SECRET: "s3cret-value",
      ENTRA_AUTHORITY_HOST: url,
      ENTRA_GRAPH_URL: url,
      ENTRA_MAX_RETRIES: "3",
      ...extra,
    },
  });
  return createConnection(config, { persistTokens: false });
}

/** What `work` rejected with, which must be a GraphError. */
async function graphFailure(work: Promise<unknown>): Promise<GraphError> {
  const err = await work.catch((e: unknown) => e);
  assert.ok(err instanceof GraphError, String(err));
  return err;
}

describe("graph client against a local server", () => {
  let server: LocalGraph;
  let tokenCalls = 0;
  const resetsSeen = () => server.hits.filter((h) => h.url.startsWith("/v1.0/reset")).length;
  /** POSTs /busy-write answered since the last reset; the first of each run gets a 503. */
  let busyWrites = 0;
  before(async () => {
    server = await startLocalGraph();
    serveTokens(server, {
      tenant: TENANT,
      secret: "s3cret-value",
      issue: () => {
        tokenCalls++;
        return fakeJwt({
          tid: TENANT,
          aud: "https://graph.microsoft.com",
          roles: ["User.Read.All"],
          n: tokenCalls,
        });
      },
    });
    server.route("GET /v1.0/organization", (_req, _b, res) =>
      json(res, 200, { value: [{ id: TENANT, displayName: "Contoso" }] }),
    );
    let flaky = 0;
    server.route("GET /v1.0/flaky", (_req, _b, res) => {
      flaky++;
      if (flaky === 1) return throttled(res, "0.05");
      if (flaky === 2) return json(res, 503, { error: { code: "ServiceUnavailable", message: "busy" } });
      json(res, 200, { ok: true });
    });
    server.route("GET /v1.0/users", (req, _b, res) => {
      const page = new URL(req.url ?? "", server.url).searchParams.get("$skiptoken");
      if (!page)
        return json(res, 200, {
          value: [{ id: "a" }],
          "@odata.count": 2,
          "@odata.nextLink": `${server.url}/v1.0/users?$count=true&$skiptoken=p2`,
        });
      json(res, 200, { value: [{ id: "b" }] });
    });
    let tokenSeen = "";
    server.route("GET /v1.0/me-check", (req, _b, res) => {
      // The first token is "revoked" early: Graph says 401 InvalidAuthenticationToken.
      if (!tokenSeen) {
        tokenSeen = req.headers.authorization ?? "";
        return json(res, 401, {
          error: {
            code: "InvalidAuthenticationToken",
            message: "Lifetime validation failed, the token is expired.",
          },
        });
      }
      json(res, 200, { same: req.headers.authorization === tokenSeen });
    });
    let resets = 0;
    server.route("GET /v1.0/reset", (req, _b, res) => {
      if (resets++ === 0) {
        req.socket.destroy();
        return;
      }
      json(res, 200, { ok: true });
    });
    server.route("POST /v1.0/reset-write", (req) => {
      resets++;
      req.socket.destroy();
    });
    server.route("POST /v1.0/busy-write", (_req, _b, res) => {
      if (++busyWrites === 1) {
        return json(
          res,
          503,
          { error: { code: "ServiceUnavailable", message: "busy" } },
          { "retry-after": "0.01" },
        );
      }
      json(res, 201, { id: "created" });
    });
    server.route("GET /v1.0/slow", (_req, _b, res) => {
      setTimeout(() => json(res, 200, {}), 500);
    });
    server.route("GET /v1.0/users/delta", (_req, _b, res) =>
      json(res, 400, { error: { code: "syncStateNotFound", message: "The sync state is not found." } }),
    );
    const asked: number[] = [];
    server.route("GET /v1.0/throttled-once", (_req, _b, res) => {
      asked.push(Date.now());
      if (asked.length === 1) {
        return throttled(res, "0.3");
      }
      json(res, 200, { gapMs: asked[1]! - asked[0]! });
    });
    server.route("GET /v1.0/always-throttled", (_req, _b, res) => throttled(res, "0.01"));
    server.route("GET /v1.0/always-throttled-slowly", (_req, _b, res) => throttled(res, "0.3"));
    server.route("GET /v1.0/missing", (_req, _b, res) =>
      json(
        res,
        404,
        { error: { code: "Request_ResourceNotFound", message: "Resource 'x' does not exist." } },
        { "request-id": "rid-404" },
      ),
    );
  });
  after(() => server.close());

  test("acquires one token for many concurrent requests and reuses it", async () => {
    const conn = connectTo(server.url);
    tokenCalls = 0;
    const results = await Promise.all(
      Array.from({ length: 100 }, () => conn.graph.get<{ value: unknown[] }>("/organization")),
    );
    assert.equal(results.length, 100);
    assert.equal(tokenCalls, 1);
    assert.equal(conn.tokens.acquisitions, 1);
    const auth = server.hits.at(-1)?.headers.authorization ?? "";
    assert.match(auth, /^Bearer ey/);
    await conn.close();
  });

  test("retries 429 after Retry-After and 503 with backoff, and counts them", async () => {
    const conn = connectTo(server.url);
    const body = await conn.graph.get<{ ok: boolean }>("/flaky");
    assert.deepEqual(body, { ok: true });
    const s = conn.graph.stats();
    assert.equal(s.throttled, 1);
    assert.equal(s.retries, 2);
    assert.ok(s.throttleWaitMs >= 50);
    await conn.close();
  });

  test("waits exactly Retry-After (no longer) before retrying a 429", async () => {
    const conn = connectTo(server.url);
    const { gapMs } = await conn.graph.get<{ gapMs: number }>("/throttled-once");
    assert.ok(gapMs >= 295, `retried after ${gapMs} ms for Retry-After 0.3`);
    // What the client chose to wait (the wall-clock gap also holds the machine's own delays).
    assert.equal(conn.graph.stats().throttleWaitMs, 300);
    await conn.close();
  });

  test("retries are bounded: still throttled after the last one is a typed, retryable error", async () => {
    const conn = connectTo(server.url);
    const err = await graphFailure(conn.graph.get("/always-throttled"));
    assert.equal(err.code, "GRAPH_THROTTLED");
    assert.equal(err.retryable, true);
    assert.match(err.message, /still throttled after 4 attempts/);
    await conn.close();
  });

  test("follows nextLink verbatim and keeps $count on advanced pages", async () => {
    const conn = connectTo(server.url);
    const seen: string[] = [];
    let count: number | undefined;
    for await (const page of conn.graph.pages<{ id: string }>("/users?$filter=endsWith(mail,'x')", {
      advanced: true,
    })) {
      seen.push(...page.value.map((u) => u.id));
      count ??= page.count;
    }
    assert.deepEqual(seen, ["a", "b"]);
    assert.equal(count, 2);
    const userHits = server.hits.filter((h) => h.url.startsWith("/v1.0/users?"));
    for (const h of userHits) {
      assert.equal(h.headers["consistencylevel"], "eventual");
      assert.match(h.url, /\$count=true/);
    }
    await conn.close();
  });

  test("a non-2xx answer is a GraphError with status, code, message and request-id", async () => {
    const conn = connectTo(server.url);
    const err = await graphFailure(conn.graph.get("/missing"));
    assert.equal(err.code, "GRAPH_NOT_FOUND");
    assert.equal(err.httpStatus, 404);
    assert.equal(err.graphCode, "Request_ResourceNotFound");
    assert.equal(err.requestId, "rid-404");
    assert.equal(err.method, "GET");
    assert.match(err.message, /GET .*\/v1\.0\/missing → 404/);
    await conn.close();
  });

  test("on 401 InvalidAuthenticationToken the token is dropped, a new one fetched, and the request retried once", async () => {
    const conn = connectTo(server.url);
    tokenCalls = 0;
    const body = await conn.graph.get<{ same: boolean }>("/me-check");
    assert.deepEqual(body, { same: false });
    assert.equal(tokenCalls, 2);
    await conn.close();
  });

  test("a connection reset is retried for a read, not for a POST", async () => {
    const conn = connectTo(server.url);
    assert.deepEqual(await conn.graph.get("/reset"), { ok: true });
    const before = resetsSeen();
    await assert.rejects(conn.graph.request("/reset-write", { method: "POST", body: {} }), {
      code: "NET_FAILED",
    });
    assert.equal(resetsSeen() - before, 1);
    await conn.close();
  });

  test("a 503 to a POST is not retried (it may have run); marked idempotent, it is", async () => {
    const conn = connectTo(server.url);
    busyWrites = 0;
    const err = await graphFailure(conn.graph.request("/busy-write", { method: "POST", body: {} }));
    assert.equal(err.code, "GRAPH_UNAVAILABLE");
    assert.equal(err.httpStatus, 503);
    assert.equal(busyWrites, 1, "sent once");
    assert.equal(conn.graph.stats().retries, 0);

    busyWrites = 0;
    const res = await conn.graph.request("/busy-write", { method: "POST", body: {}, idempotent: true });
    assert.equal(res.status, 201);
    assert.equal(busyWrites, 2, "sent again after the 503");
    assert.equal(conn.graph.stats().retries, 1);
    await conn.close();
  });

  test("per-request timeout and cancellation are typed errors", async () => {
    const conn = connectTo(server.url, { ENTRA_MAX_RETRIES: "0" });
    await assert.rejects(conn.graph.get("/slow", { timeoutMs: 100 }), { code: "NET_TIMEOUT" });
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error("received SIGINT")), 50);
    await assert.rejects(conn.graph.get("/slow", { signal: ac.signal }), { code: "REQUEST_ABORTED" });
    // Cancelled while backing off after a 429 (Retry-After 0.3 s): still a cancellation, not a crash.
    const during = new AbortController();
    setTimeout(() => during.abort(new Error("received SIGTERM")), 100);
    const retrying = connectTo(server.url);
    await assert.rejects(retrying.graph.get("/always-throttled-slowly", { signal: during.signal }), {
      code: "REQUEST_ABORTED",
    });
    await retrying.close();
    await conn.close();
  });

  test("an expired delta token raises a GraphError with deltaExpired", async () => {
    const conn = connectTo(server.url);
    const err = await graphFailure(
      (async () => {
        for await (const _ of conn.graph.delta("/users/delta?$deltatoken=old")) {
          /* no pages expected */
        }
      })(),
    );
    assert.equal(err.deltaExpired, true);
    assert.equal(err.code, "GRAPH_DELTA_EXPIRED");
    assert.doesNotMatch(err.message, /deltatoken=old/);
    await conn.close();
  });

  test("refused connections and unknown hosts are reported as such", async () => {
    const closed = await startLocalGraph();
    const url = closed.url;
    await closed.close();
    const conn = connectTo(url, { ENTRA_MAX_RETRIES: "0" });
    await assert.rejects(conn.graph.get("/organization"), { code: "NET_CONNECTION_REFUSED" });
    await conn.close();
    // `.invalid` never resolves (RFC 2606).
    const nowhere = connectTo("https://login.example.invalid", {
      ENTRA_GRAPH_URL: "https://graph.example.invalid",
    });
    await assert.rejects(nowhere.graph.get("/organization"), { code: "NET_DNS" });
    await nowhere.close();
  });

  test("a token endpoint hiccup (503) is tried again", async () => {
    const flaky = await startLocalGraph();
    let calls = 0;
    flaky.route(`POST /${TENANT}/oauth2/v2.0/token`, (_req, _b, res) => {
      calls++;
      if (calls === 1) return json(res, 503, { error: "temporarily_unavailable" }, { "retry-after": "0.01" });
      json(res, 200, tokenAnswer(fakeJwt({ tid: TENANT })));
    });
    const conn = connectTo(flaky.url);
    assert.equal((await conn.tokens.getToken()).tenantId, TENANT);
    assert.equal(calls, 2);
    await conn.close();
    await flaky.close();
  });

  test("a token whose audience is another cloud's Graph is refused as the wrong cloud", async () => {
    const other = await startLocalGraph();
    serveTokens(other, {
      tenant: TENANT,
      secret: "s3cret-value",
      issue: () => fakeJwt({ tid: TENANT, aud: "https://graph.microsoft.us" }),
    });
    const conn = connectTo(other.url);
    await assert.rejects(conn.tokens.getToken(), (e: Error & { code?: string }) => {
      assert.equal(e.code, "AUTH_WRONG_CLOUD");
      assert.match(e.message, /issued for https:\/\/graph\.microsoft\.us \(usgov cloud\)/);
      return true;
    });
    await conn.close();
    await other.close();
  });

  test("refuses to send the token to another origin", async () => {
    const conn = connectTo(server.url);
    await assert.rejects(conn.graph.get("https://evil.example/v1.0/users"), { code: "GRAPH_FOREIGN_URL" });
    await conn.close();
  });
});
