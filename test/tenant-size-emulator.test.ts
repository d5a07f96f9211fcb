import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type Emulator, startEmulator } from "@entra-connector/graph-emulator";
import { createTokenProvider } from "../src/auth/credentials.ts";
import { createGraphClient } from "../src/graph/client.ts";
import { createDispatcher } from "../src/graph/http.ts";
import { Limiter } from "../src/graph/limiter.ts";
import { createConnection, loadConfig } from "../src/index.ts";
import { silentLogger } from "../src/log/logger.ts";
import { connectionEnv } from "./connection-support.ts";

const COUNT_ROUTE = "GET /users/$count";

/** A client on its own limiter, to watch the budget it sets. */
function clientWithLimiter(config: ReturnType<typeof loadConfig>, limiter: Limiter) {
  const dispatcher = createDispatcher({ caFile: config.caFile });
  const tokens = createTokenProvider(config, { dispatcher, logger: silentLogger() });
  const graph = createGraphClient(config, { limiter, dispatcher, tokens });
  return Object.assign(graph, {
    async close() {
      await dispatcher.close();
    },
  });
}

function connect(emu: Emulator, extra: Record<string, string> = {}) {
  const env = connectionEnv(emu, extra);
  return createConnection(loadConfig({ env }), { env, persistTokens: false });
}

describe("read budget sized by the tenant's user count", () => {
  let medium: Emulator; // size m: 2,000 users, Graph's 8,000 RU / 10 s budget
  let small: Emulator; // size s: 40 users, 3,500 RU / 10 s
  before(async () => {
    [medium, small] = await Promise.all([
      startEmulator({ port: 0, size: "m", seed: 11 }),
      startEmulator({ port: 0, size: "s", seed: 12 }),
    ]);
  });
  after(() => Promise.all([medium.close(), small.close()]));

  test("a tenant of 2,000 users gets the 8,000 RU bucket after the first call", async () => {
    const env = connectionEnv(medium);
    const config = loadConfig({ env });
    assert.equal(config.tenantSize, "auto", "auto is the default");
    const limiter = new Limiter({ tenantSize: config.tenantSize });
    assert.equal(limiter.readBudget, 3500, "unknown until counted: the smallest budget");
    const graph = clientWithLimiter(config, limiter);
    const before = medium.stats().byRoute[COUNT_ROUTE] ?? 0;
    const org = await graph.get<{ value: unknown[] }>("/organization");
    assert.equal(org.value.length, 1);
    assert.equal(limiter.readBudget, 8000);
    assert.equal(await graph.tenantSize(), "large");
    await graph.get("/organization");
    assert.equal((medium.stats().byRoute[COUNT_ROUTE] ?? 0) - before, 1, "counted once per client");
    await graph.close();
  });

  test("a tenant of 40 users keeps the small bucket; the connection reports its size", async () => {
    const conn = connect(small);
    await conn.graph.get("/organization");
    assert.equal(await conn.graph.tenantSize(), "small");
    await conn.close();
  });

  test("100 concurrent first calls share one count", async () => {
    const conn = connect(medium);
    const before = medium.stats().byRoute[COUNT_ROUTE] ?? 0;
    await Promise.all(Array.from({ length: 100 }, () => conn.graph.get("/organization")));
    assert.equal((medium.stats().byRoute[COUNT_ROUTE] ?? 0) - before, 1);
    assert.equal(await conn.graph.tenantSize(), "large");
    await conn.close();
  });

  test("an explicit ENTRA_TENANT_SIZE wins and nothing is counted", async () => {
    const conn = connect(medium, { ENTRA_TENANT_SIZE: "medium" });
    const before = medium.stats().byRoute[COUNT_ROUTE] ?? 0;
    await conn.graph.get("/organization");
    assert.equal(await conn.graph.tenantSize(), "medium");
    assert.equal((medium.stats().byRoute[COUNT_ROUTE] ?? 0) - before, 0);
    await conn.close();
  });

  // Last: it takes User.Read.All away from the emulator's app.
  test("a 403 on $count (no User.Read.All) falls back to the small bucket; the caller's call succeeds", async () => {
    await medium.setPermissions(["Group.Read.All"]);
    const env = connectionEnv(medium);
    const limiter = new Limiter({ tenantSize: "auto" });
    const graph = clientWithLimiter(loadConfig({ env }), limiter);
    const groups = await graph.get<{ value: unknown[] }>("/groups?$top=1&$select=id");
    assert.equal(groups.value.length, 1);
    assert.equal(await graph.tenantSize(), "small");
    assert.equal(limiter.readBudget, 3500);
    await assert.rejects(graph.get("/users?$top=1"), { status: 403 }, "the caller still sees real refusals");
    await graph.close();
  });
});
