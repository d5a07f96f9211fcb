import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { prefetched } from "./prefetch.ts";

/** One turn of the event loop: a page "arrives" without any clock involved. */
const nextTurn = () => new Promise((r) => setImmediate(r));

/** A chain of pages whose requests are recorded as they start; page `failAt` rejects. */
function chain(count: number, failAt = -1) {
  const started: number[] = [];
  let closed = false;
  async function* pages() {
    try {
      for (let i = 0; i < count; i++) {
        started.push(i);
        await nextTurn();
        if (i === failAt) throw new Error(`page ${i} failed`);
        yield i;
      }
    } finally {
      closed = true;
    }
  }
  return { pages: pages(), started, closed: () => closed };
}

describe("prefetched", () => {
  test("requests up to depth pages ahead of the consumer, and yields them in order", async () => {
    const c = chain(10);
    const seen: number[] = [];
    for await (const page of prefetched(c.pages, 4)) {
      // Let the chain run ahead as far as it may: far more turns than the pages it could fetch.
      for (let turn = 0; turn < 50; turn++) await nextTurn();
      seen.push(page);
      assert.ok(c.started.length <= Math.min(10, page + 1 + 4), `page ${page}: ${c.started.length} started`);
      if (page < 6) assert.equal(c.started.length, page + 1 + 4);
    }
    assert.deepEqual(seen, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  test("a failed page surfaces after the pages before it, not earlier", async () => {
    const c = chain(10, 3);
    const seen: number[] = [];
    await assert.rejects(async () => {
      for await (const page of prefetched(c.pages, 4)) seen.push(page);
    }, /page 3 failed/);
    assert.deepEqual(seen, [0, 1, 2]);
  });

  test("a consumer that stops early closes the chain", async () => {
    const c = chain(10);
    for await (const page of prefetched(c.pages, 3)) if (page === 1) break;
    assert.equal(c.closed(), true);
  });
});
