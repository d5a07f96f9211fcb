import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type Emulator, startEmulator } from "@entra-connector/graph-emulator";
import { createConnection, loadConfig } from "../src/index.ts";
import { connectionEnv } from "./connection-support.ts";

function connect(emu: Emulator, extra: Record<string, string> = {}) {
  const env = connectionEnv(emu, extra);
  return createConnection(loadConfig({ env }), { env, persistTokens: false });
}

describe("throttling", () => {
  let emu: Emulator;
  const BUDGET = 100;
  before(async () => {
    emu = await startEmulator({ port: 0, size: "s", seed: 3, throttle: { readBudget: BUDGET } });
  });
  after(() => emu.close());

  test("a burst past the budget finishes with zero failed requests, waiting only as long as asked", async () => {
    // Our limiter believes in the documented 3,500 RU budget; the emulator allows 100, so Graph's
    // 429 + Retry-After must carry the burst. A small budget and burst keep the test about the
    // waiting, not about how fast a loaded machine can send: 150 reads always outrun 100 RU per 10 s.
    const conn = connect(emu, { ENTRA_MAX_RETRIES: "8", ENTRA_CONCURRENCY: "16" });
    const { value } = await conn.graph.get<{ value: { id: string }[] }>("/users?$select=id&$top=50");
    const ids = value.map((u) => u.id);
    const N = 150;
    const before = await emu.stats();
    const results = await Promise.allSettled(
      Array.from({ length: N }, (_, i) => conn.graph.get(`/users/${ids[i % ids.length]}?$select=id`)),
    );
    const after = await emu.stats();
    const failed = results.filter((r) => r.status === "rejected");
    assert.equal(failed.length, 0, String((failed[0] as PromiseRejectedResult | undefined)?.reason));
    const s = conn.graph.stats();
    assert.ok(s.throttled > 0, "the burst was throttled");
    // Every 429 Graph sent reached the client, and every retry waited what its 429 asked (Retry-After),
    // never an extra backoff of the client's own: that is what keeps the burst as short as Graph allows.
    assert.equal(s.throttled, after.throttled - before.throttled, "every 429 was seen");
    assert.equal(s.retries, s.throttled, "each retry followed a 429 and waited its Retry-After");
    await conn.close();
  });
});

describe("transient faults", () => {
  let emu: Emulator;
  before(async () => {
    emu = await startEmulator({ port: 0, size: "s", seed: 4, faultRate: 0.15 });
  });
  after(() => emu.close());

  // An injected 429 asks for 2 s and pauses the whole connection (the budget is shared), so these
  // tests keep their request counts small.
  test("503/504/resets on reads are retried until they succeed", async () => {
    const conn = connect(emu, { ENTRA_MAX_RETRIES: "10" });
    const results = await Promise.allSettled(
      Array.from({ length: 30 }, () => conn.graph.get("/organization")),
    );
    const failed = results.filter((r) => r.status === "rejected");
    assert.equal(failed.length, 0, String((failed[0] as PromiseRejectedResult | undefined)?.reason));
    assert.ok(conn.graph.stats().retries > 0);
    await conn.close();
  });

  test("paging through faults loses and duplicates nothing", async () => {
    const conn = connect(emu, { ENTRA_MAX_RETRIES: "10" });
    const ids: string[] = [];
    for await (const page of conn.graph.pages<{ id: string }>("/users?$select=id&$top=20"))
      ids.push(...page.value.map((u) => u.id));
    emu.setFaults({ faultRate: 0 });
    const clean: string[] = [];
    for await (const page of conn.graph.pages<{ id: string }>("/users?$select=id&$top=20"))
      clean.push(...page.value.map((u) => u.id));
    assert.deepEqual(ids, clean);
    assert.equal(new Set(ids).size, ids.length);
    emu.setFaults({ faultRate: 0.15 });
    await conn.close();
  });
});

describe("$batch against the emulator", () => {
  let emu: Emulator;
  before(async () => {
    emu = await startEmulator({ port: 0, size: "s", seed: 5 });
  });
  after(() => emu.close());

  test("partial failures keep their own status; results come back in request order", async () => {
    const conn = connect(emu);
    const { value } = await conn.graph.get<{ value: { id: string }[] }>("/users?$select=id&$top=25");
    const requests = value.map((u, i) => ({
      id: `r${i}`,
      method: "GET" as const,
      url:
        i % 5 === 0
          ? `/users/00000000-0000-0000-0000-0000000000${String(i).padStart(2, "0")}`
          : `/users/${u.id}?$select=id`,
    }));
    const out = await conn.graph.batch<{ id?: string }>(requests);
    assert.deepEqual(
      out.map((r) => r.id),
      requests.map((r) => r.id),
    );
    out.forEach((r, i) => {
      if (i % 5 === 0) assert.equal(r.status, 404);
      else {
        assert.equal(r.status, 200);
        assert.equal(r.body.id, value[i]?.id);
      }
    });
    await conn.close();
  });
});
