import assert from "node:assert/strict";
import { test } from "node:test";
import { GraphError } from "../errors.ts";
import type { BatchRequest, BatchResponse, GraphClient } from "../graph/types.ts";
import { newMeter } from "./meter.ts";
import { type RelatedRead, type RelatedResult, readRelated } from "./related.ts";

/** A client that answers `$batch` only: each inner read by the status `answer` gives its path. */
function batchOnlyClient(answer: (url: string) => number) {
  const envelopes: number[] = [];
  const client = {
    async batch(requests: BatchRequest[]): Promise<BatchResponse[]> {
      envelopes.push(requests.length);
      await new Promise((resolve) => setImmediate(resolve));
      return requests.map((r) => {
        const status = answer(r.url);
        return {
          id: r.id,
          status,
          headers: {},
          body: status === 200 ? { value: [{ id: `${r.url}#1` }] } : {},
        };
      });
    },
  } as unknown as GraphClient;
  return { client, envelopes };
}

const reads = (n: number): RelatedRead[] =>
  Array.from({ length: n }, (_, i) => ({
    objectId: `o${i}`,
    name: "owners",
    path: `/servicePrincipals/o${i}/owners`,
  }));

async function all(client: GraphClient, list: RelatedRead[], concurrency: number) {
  const meter = newMeter();
  const results: RelatedResult[] = [];
  for await (const r of readRelated(client, list, meter, { concurrency })) results.push(r);
  return { meter, results };
}

test("reads go twenty to a $batch, however many workers, and each round trip is counted once", async () => {
  const { client, envelopes } = batchOnlyClient(() => 200);
  const { meter, results } = await all(client, reads(45), 8);
  assert.deepEqual(
    envelopes.sort((a, b) => a - b),
    [5, 20, 20],
  );
  assert.equal(meter.requests, 3);
  assert.equal(meter.batchedRequests, 45);
  assert.equal(results.length, 45);
  assert.ok(results.every((r) => r.status === "read" && r.items.length === 1));
});

test("a 404 is a missing object; a 403 is an answer only where the read accepts it", async () => {
  const { client } = batchOnlyClient((url) => (url.includes("o1/") ? 404 : url.includes("o2/") ? 403 : 200));
  const list = reads(3).map((r) => (r.objectId === "o2" ? { ...r, accept: ["denied" as const] } : r));
  const { results } = await all(client, list, 1);
  const byId = Object.fromEntries(results.map((r) => [r.read.objectId, r.status]));
  assert.deepEqual(byId, { o0: "read", o1: "missing", o2: "denied" });

  await assert.rejects(
    all(client, reads(3), 1),
    (e: unknown) => e instanceof GraphError && e.httpStatus === 403,
  );
  const strict = reads(2).map((r) => ({ ...r, accept: [] }));
  await assert.rejects(
    all(client, strict, 1),
    (e: unknown) => e instanceof GraphError && e.httpStatus === 404,
  );
});
