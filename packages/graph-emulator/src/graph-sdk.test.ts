/**
 * Microsoft's own Graph client (`@microsoft/microsoft-graph-client`, unmodified) against the emulator:
 * customHosts, PageIterator paging, advanced queries ($filter, $search) and their refusal without
 * ConsistencyLevel, and a throttled burst its RetryHandler rides out.
 * The SDK uses the global fetch, so the emulator's CA is trusted through undici's global dispatcher.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { Client, PageIterator } from "@microsoft/microsoft-graph-client";
import { Agent, getGlobalDispatcher, setGlobalDispatcher } from "undici";
import { appToken, type Emulator, startEmulator } from "./index.ts";

let emu: Emulator;
let client: Client;
const previousDispatcher = getGlobalDispatcher();

before(async () => {
  emu = await startEmulator({ size: "m", seed: 4 });
  setGlobalDispatcher(new Agent({ connect: { ca: readFileSync(emu.caFile) } }));
  let token: string | undefined;
  client = Client.initWithMiddleware({
    baseUrl: emu.graphRoot,
    customHosts: new Set(["127.0.0.1"]),
    authProvider: {
      getAccessToken: async () => {
        if (token) return token;
        token = await appToken(emu);
        return token;
      },
    },
  });
});

after(async () => {
  setGlobalDispatcher(previousDispatcher);
  await emu.close();
});

describe("@microsoft/microsoft-graph-client", () => {
  it("pages every user with PageIterator", async () => {
    const first = await client.api("/users").select("id,displayName").top(999).get();
    const ids = new Set<string>();
    const iterator = new PageIterator(client, first, (user: { id: string }) => {
      ids.add(user.id);
      return true;
    });
    await iterator.iterate();
    assert.equal(ids.size, emu.tenant.count("user"));
  });

  it("runs an advanced query with ConsistencyLevel and $count", async () => {
    const reply = await client
      .api("/users")
      .header("ConsistencyLevel", "eventual")
      .count(true)
      .filter("endsWith(mail,'@contoso.com')")
      .select("id,mail")
      .top(50)
      .get();
    const expected = emu.tenant.list("user").filter((u) =>
      String(u["mail"] ?? "")
        .toLowerCase()
        .endsWith("@contoso.com"),
    ).length;
    assert.equal(reply["@odata.count"], expected);
    assert.equal(reply.value.length, Math.min(50, expected));
  });

  it("runs $search with ConsistencyLevel: eventual, matching displayName by word prefix", async () => {
    const reply = await client
      .api("/users")
      .header("ConsistencyLevel", "eventual")
      .search('"displayName:dubo"')
      .count(true)
      .select("id,displayName")
      .top(999)
      .get();
    const expected = emu.tenant
      .list("user")
      .filter((u) => /(^|\s)dubo/i.test(String(u["displayName"] ?? "")))
      .map((u) => u.id)
      .sort();
    assert.ok(expected.length > 1, "the seed has several users named Dubois");
    assert.equal(reply["@odata.count"], expected.length);
    assert.deepEqual(reply.value.map((u: { id: string }) => u.id).sort(), expected);
    // Graph matches displayName by word prefix, not substring, so the inside of a word finds nobody.
    const inside = await client
      .api("/users")
      .header("ConsistencyLevel", "eventual")
      .search('"displayName:ubois"')
      .get();
    assert.deepEqual(inside.value, []);
  });

  it("refuses advanced queries sent without ConsistencyLevel: 400 Request_UnsupportedQuery", async () => {
    const refused = (request: Promise<unknown>, message: string) =>
      assert.rejects(request, (error: { statusCode: number; code: string; message: string }) => {
        assert.equal(error.statusCode, 400);
        assert.equal(error.code, "Request_UnsupportedQuery");
        assert.ok(error.message.startsWith(message), error.message);
        return true;
      });
    await refused(
      client.api("/users").search('"displayName:dubo"').get(),
      "Request with $search query parameter only works through MSGraph with a special request header: 'ConsistencyLevel: eventual'",
    );
    // $count=true alone does not make a query advanced; the header is what Graph looks for.
    await refused(
      client.api("/users").count(true).filter("endsWith(mail,'@contoso.com')").get(),
      "Operator 'endsWith' is not supported because the required parameters might be missing. " +
        "Try adding $count=true query parameter and ConsistencyLevel:eventual header.",
    );
  });

  it("surfaces a Graph error with its code and status", async () => {
    await assert.rejects(
      client.api("/users/00000000-0000-0000-0000-000000000009").get(),
      (error: { statusCode: number; code: string }) => {
        assert.equal(error.statusCode, 404);
        assert.equal(error.code, "Request_ResourceNotFound");
        return true;
      },
    );
  });

  it("rides out a throttled burst with its RetryHandler (Retry-After honoured)", async () => {
    // 200 RU per 10 s (20 RU/s): a burst of 120 two-RU requests is throttled, then recovers.
    emu.setFaults({ throttle: { readBudget: 200 } });
    try {
      const before = emu.stats().throttled;
      const started = Date.now();
      const results = await Promise.all(
        Array.from(
          { length: 120 },
          () => client.api("/users").top(50).get() as Promise<{ value: unknown[] }>,
        ),
      );
      assert.ok(results.every((r) => r.value.length === 50));
      assert.ok(emu.stats().throttled > before, "some requests were throttled and retried");
      assert.ok(Date.now() - started >= 1000, "the client waited for Retry-After");
    } finally {
      emu.setFaults({ throttle: false });
    }
  });
});
