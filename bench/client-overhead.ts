/**
 * Client overhead per request: the GraphClient's median round trip minus a raw undici round trip to
 * the same local keep-alive server (same pool settings, same JSON body). Target: < 0.2 ms median.
 *
 *   node_modules/.bin/node bench/client-overhead.ts [requests per round]
 *
 * The client's limiter stays in the path (its bookkeeping is part of the overhead), but the run is
 * sized to fit inside one read budget so it never waits: a wait would be measured as overhead. The
 * run is refused up front if it would not fit, and fails if the limiter held any request.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Agent } from "undici";
import { createGraphClient } from "../src/graph/client.ts";
import { requestCharge } from "../src/graph/cost.ts";
import { Limiter } from "../src/graph/limiter.ts";
import { fixedTokens } from "../src/graph/testing/local-graph.ts";

const N = Number(process.argv[2] ?? 1200);
const ROUNDS = 5;
const WARMUP = 50;
const PATH = "/users/1";
const BODY = JSON.stringify({ value: [{ id: "1", displayName: "Ann" }] });

const server = createServer((_req, res) => {
  res.writeHead(200, { "content-type": "application/json", "request-id": "r", "x-ms-resource-unit": "1" });
  res.end(BODY);
});
await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

const limiter = new Limiter({ tenantSize: "large", concurrency: 16 });
// Refill during the run is ignored: the whole run must fit in the bucket it starts with.
const spend = ROUNDS * (WARMUP + N) * requestCharge("GET", `${origin}/v1.0${PATH}`).ru;
if (!Number.isInteger(N) || N < 1 || spend > limiter.readBudget) {
  console.error(
    `${ROUNDS} rounds of ${WARMUP} + ${N} requests spend ${spend} RU, more than the ${limiter.readBudget} RU read budget: the limiter would wait. Ask for at most ${Math.floor(limiter.readBudget / ROUNDS) - WARMUP} requests per round.`,
  );
  process.exit(2);
}

const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function time(fn: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < WARMUP; i++) await fn(); // sockets and JIT, after the other side's round
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
    path: `/v1.0${PATH}`,
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
  { tokens: fixedTokens(), limiter },
);
const clientOnce = () => graph.get(PATH);

// Interleave rounds so drift (GC, CPU contention) hits both sides alike.
const rawMs: number[] = [];
const clientMs: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  rawMs.push(await time(rawOnce));
  clientMs.push(await time(clientOnce));
}
const r = median(rawMs);
const c = median(clientMs);
console.log(
  JSON.stringify({
    requests: N * ROUNDS,
    rawMedianMs: +r.toFixed(4),
    clientMedianMs: +c.toFixed(4),
    overheadMs: +(c - r).toFixed(4),
    limiterWaits: limiter.waits,
    retries: graph.stats().retries,
  }),
);
await graph.close();
await raw.close();
server.close();
if (limiter.waits > 0 || graph.stats().retries > 0) {
  console.error("the limiter held requests or the client retried: these figures include waiting");
  process.exitCode = 1;
}
