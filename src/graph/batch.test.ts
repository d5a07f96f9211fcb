import assert from "node:assert/strict";
import { after, before, beforeEach, test } from "node:test";
import { GraphError } from "../errors.ts";
import { createGraphClient } from "./client.ts";
import type { Charge } from "./cost.ts";
import { Limiter } from "./limiter.ts";
import { fixedTokens, json, type LocalGraph, startLocalGraph } from "./testing/local-graph.ts";
import type { BatchRequest } from "./types.ts";

let server: LocalGraph;
const envelopes: BatchRequest[][] = [];
const seen = new Map<string, number>();

before(async () => {
  server = await startLocalGraph();
  server.route("POST /v1.0/$batch", (_req, body, res) => {
    const { requests } = JSON.parse(body) as { requests: BatchRequest[] };
    envelopes.push(requests);
    const responses = requests.map((r) => {
      const n = (seen.get(r.id) ?? 0) + 1;
      seen.set(r.id, n);
      const failed = (status: number, code: string, headers?: Record<string, string>) => ({
        id: r.id,
        status,
        ...(headers ? { headers } : {}),
        body: { error: { code } },
      });
      if (r.url.startsWith("/throttled") && n === 1)
        return failed(429, "TooManyRequests", { "Retry-After": "0.05" });
      if (r.url.startsWith("/dependant") && n === 1) return failed(424, "FailedDependency");
      if (r.url.startsWith("/missing")) return failed(404, "Request_ResourceNotFound");
      if (r.url.startsWith("/busy") && n < 3) return failed(503, "ServiceUnavailable");
      if (r.url.startsWith("/gap-always") || (r.url.startsWith("/gap-once") && n === 1)) return undefined;
      return {
        id: r.id,
        status: 200,
        headers: { "Content-Type": "application/json" },
        body: { url: r.url, n },
      };
    });
    // Graph may answer in any order
    json(res, 200, { responses: responses.filter((r) => r !== undefined).reverse() });
  });
});
after(() => server.close());
beforeEach(() => {
  envelopes.length = 0;
  seen.clear();
});

function client(limiter?: Limiter) {
  return createGraphClient(
    {
      graphUrl: server.url,
      graphVersion: "v1.0",
      timeoutMs: 5000,
      maxRetries: 4,
      concurrency: 4,
      tenantSize: "small",
    },
    { tokens: fixedTokens(), random: () => 0, ...(limiter ? { limiter } : {}) },
  );
}

test("$batch: throttled inner requests and their failed dependants are retried; order is kept", async () => {
  const g = client();
  const requests: BatchRequest[] = [
    { id: "1", method: "GET", url: "/ok/1" },
    { id: "2", method: "GET", url: "/throttled/2" },
    { id: "3", method: "GET", url: "/dependant/3", dependsOn: ["2"] },
    { id: "4", method: "GET", url: "/missing/4" },
    { id: "5", method: "GET", url: "/busy/5" },
    { id: "6", method: "POST", url: "/busy/6", body: { a: 1 } },
  ];
  const started = Date.now();
  const out = await g.batch(requests);
  assert.deepEqual(
    out.map((r) => r.id),
    ["1", "2", "3", "4", "5", "6"],
  );
  assert.deepEqual(
    out.map((r) => r.status),
    [200, 200, 200, 404, 200, 503],
  );
  assert.ok(Date.now() - started >= 50, "honoured the inner Retry-After");
  assert.deepEqual(
    envelopes[1]?.map((r) => r.id),
    ["2", "3", "5"],
  );
  assert.deepEqual(envelopes[1]?.find((r) => r.id === "3")?.dependsOn, ["2"]);
  assert.equal(envelopes[0]?.find((r) => r.id === "6")?.headers?.["Content-Type"], "application/json");
  assert.equal(g.stats().throttled, 1);
  await g.close();
});

test("$batch: more than 20 requests are split into envelopes of 20", async () => {
  const g = client();
  const requests = Array.from({ length: 45 }, (_, i) => ({
    id: String(i),
    method: "GET" as const,
    url: `/ok/${i}`,
  }));
  const out = await g.batch(requests);
  assert.deepEqual(
    envelopes.map((e) => e.length),
    [20, 20, 5],
  );
  assert.deepEqual(
    out.map((r) => (r.body as { url: string }).url),
    requests.map((r) => r.url),
  );
  await g.close();
});

test("$batch: each envelope is charged its inner requests' documented costs before it is sent", async () => {
  const limiter = new Limiter({ tenantSize: "small" });
  const charges: Charge[] = [];
  const acquire = limiter.acquire.bind(limiter);
  limiter.acquire = (charge, signal) => {
    charges.push(charge);
    return acquire(charge, signal);
  };
  const g = client(limiter);
  const requests: BatchRequest[] = [
    ...Array.from({ length: 19 }, (_, i) => ({
      id: `m${i}`,
      method: "GET" as const,
      url: `/groups/${i}/members?$select=id&$top=999`,
    })),
    { id: "t", method: "GET", url: "/throttled/users?$select=id" },
  ];
  await g.batch(requests);
  // 19 member reads at 2 RU and one read at 1; the retry carries only the throttled request.
  assert.deepEqual(charges, [
    { ru: 39, writes: 0, bulk: true },
    { ru: 1, writes: 0, bulk: true },
  ]);
  await g.close();
});

test("$batch: an inner request the answer left out is sent once more, and then answered", async () => {
  const g = client();
  const out = await g.batch([
    { id: "1", method: "GET", url: "/ok/1" },
    { id: "2", method: "GET", url: "/gap-once/2" },
  ]);
  assert.deepEqual(
    out.map((r) => [r.id, r.status]),
    [
      ["1", 200],
      ["2", 200],
    ],
  );
  assert.deepEqual(
    envelopes.map((e) => e.map((r) => r.id)),
    [["1", "2"], ["2"]],
  );
  await g.close();
});

test("$batch: an inner request left out twice is a GraphError naming it, never an undefined slot", async () => {
  const g = client();
  const err = await g
    .batch([
      { id: "1", method: "GET", url: "/ok/1" },
      { id: "lost", method: "GET", url: "/gap-always/users?$select=id" },
    ])
    .catch((e: unknown) => e);
  assert.ok(err instanceof GraphError, String(err));
  assert.equal(err.code, "GRAPH_REQUEST_FAILED");
  assert.equal(err.graphCode, "BatchResponseMissing");
  assert.equal(err.method, "GET");
  assert.equal(err.url, "/gap-always/users?$select=id");
  assert.equal(err.requestId, "req-200", "the envelope's request-id, for a support ticket");
  assert.equal(err.retryable, true);
  assert.match(err.message, /no response for request id "lost"/);
  assert.equal(envelopes.length, 2, "sent once more before giving up");
  await g.close();
});

test("$batch: an unanswered POST is not sent again (it may have run): a GraphError at once", async () => {
  const g = client();
  await assert.rejects(g.batch([{ id: "w", method: "POST", url: "/gap-once/groups", body: { a: 1 } }]), {
    code: "GRAPH_REQUEST_FAILED",
    graphCode: "BatchResponseMissing",
    method: "POST",
  });
  assert.equal(envelopes.length, 1);
  await g.close();
});
