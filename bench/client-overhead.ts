/**
 * Client overhead per request: the GraphClient's median round trip minus a raw undici round trip to
 * the same local keep-alive server (same pool settings, same JSON body). Target: < 0.2 ms median.
 *
 *   npx node bench/client-overhead.ts [requests]
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Agent } from "undici";
import { createGraphClient } from "../src/graph/client.ts";
import { fixedTokens } from "../src/graph/testing/local-graph.ts";

const N = Number(process.argv[2] ?? 3000);
const BODY = JSON.stringify({ value: [{ id: "1", displayName: "Ann" }] });

const server = createServer((_req, res) => {
  res.writeHead(200, { "content-type": "application/json", "request-id": "r", "x-ms-resource-unit": "1" });
  res.end(BODY);
});
await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function time(fn: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 300; i++) await fn(); // warm up sockets and JIT
  const samples: number[] = [];
  for (let i = 0; i < N; i++) {
    const t = performance.now();
    await fn();
    samples.push(performance.now() - t);
  }
  return median(samples);
}

const raw = new Agent({ connections: 32, pipelining: 1, keepAliveTimeout: 30_000 });
const rawOnce = async () => {
  const res = await raw.request({
    origin,
    path: "/v1.0/users/1",
    method: "GET",
    headers: { accept: "application/json" },
  });
  JSON.parse(await res.body.text());
};
const graph = createGraphClient(
  {
    graphUrl: origin,
    graphVersion: "v1.0",
    timeoutMs: 30_000,
    maxRetries: 6,
    concurrency: 16,
    tenantSize: "large",
  },
  { tokens: fixedTokens() },
);
const clientOnce = () => graph.get("/users/1");

// Interleave rounds so drift (GC, CPU contention) hits both sides alike.
const rawMs: number[] = [];
const clientMs: number[] = [];
for (let round = 0; round < 3; round++) {
  rawMs.push(await time(rawOnce));
  clientMs.push(await time(clientOnce));
}
const r = median(rawMs);
const c = median(clientMs);
console.log(
  JSON.stringify({
    requests: N * 3,
    rawMedianMs: +r.toFixed(4),
    clientMedianMs: +c.toFixed(4),
    overheadMs: +(c - r).toFixed(4),
  }),
);
await graph.close();
await raw.close();
server.close();
