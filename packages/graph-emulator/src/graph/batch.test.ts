import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { registerBatchRoutes } from "./batch.ts";
import { registerDeltaRoutes } from "./delta/routes.ts";
import { graphErrors } from "./errors.ts";
import { PERMISSIONS } from "./permissions.ts";
import type { Router } from "./router.ts";
import { testRouter } from "./test-router.ts";

/** A tiny resource so batch mechanics are tested apart from any real route. */
function registerNotes(router: Router, log: string[]): void {
  const notes = new Map<string, string>();
  router.add({
    method: "POST",
    path: "/notes",
    permissions: PERMISSIONS.usersWrite,
    handler: async (ctx) => {
      const text = ctx.json()["text"];
      if (typeof text !== "string") throw graphErrors.invalidValue("text", "Note");
      // Let later-started requests overtake this one: dependants must still wait for it.
      await new Promise((resolve) => setTimeout(resolve, 5));
      const id = `n${notes.size + 1}`;
      notes.set(id, text);
      log.push(`create ${id}`);
      return { status: 201, body: { id, text } };
    },
  });
  router.add({
    method: "GET",
    path: "/notes/{id}",
    permissions: PERMISSIONS.usersRead,
    handler: (ctx) => {
      const text = notes.get(ctx.params["id"] as string);
      log.push(`get ${ctx.params["id"]}`);
      if (text === undefined) throw graphErrors.notFound(ctx.params["id"] as string);
      return { status: 200, body: { id: ctx.params["id"], text } };
    },
  });
}

type Item = { id: string; status: number; headers: Record<string, string>; body?: Record<string, unknown> };

function setup(options: { readBudget?: number } = {}) {
  const log: string[] = [];
  const t = testRouter({
    register: [registerBatchRoutes, registerDeltaRoutes, (r) => registerNotes(r, log)],
    ...(options.readBudget ? { throttle: { enabled: true, readBudget: options.readBudget } } : {}),
  });
  const batch = async (requests: unknown[], permissions?: readonly string[]) => {
    const reply = await t.call("POST", "/v1.0/$batch", {
      body: { requests },
      headers: { "content-type": "application/json" },
      ...(permissions ? { permissions } : {}),
    });
    return reply;
  };
  const byId = (reply: { body: Record<string, unknown> }) =>
    new Map((reply.body["responses"] as Item[]).map((r) => [r.id, r]));
  return { t, log, batch, byId };
}

const json = { "Content-Type": "application/json" };

describe("$batch", () => {
  it("runs each request through the router and answers every id", async () => {
    const { batch, byId } = setup();
    const reply = await batch([
      { id: "1", method: "POST", url: "/notes", headers: json, body: { text: "hello" } },
      { id: "2", method: "GET", url: "/notes/n1", dependsOn: ["1"] },
      { id: "3", method: "GET", url: "notes/missing" },
      { id: "4", method: "GET", url: "/v1.0/notes/n1" },
      { id: "5", method: "GET", url: "/users/delta?$select=displayName" },
      { id: "6", method: "POST", url: "/$batch", headers: json, body: { requests: [] } },
    ]);
    assert.equal(reply.status, 200);
    const items = byId(reply);
    assert.equal(items.size, 6);
    assert.equal(items.get("6")?.status, 400);
    assert.equal(items.get("1")?.status, 201);
    assert.deepEqual(items.get("2")?.body, { id: "n1", text: "hello" });
    assert.match(items.get("2")?.headers["Content-Type"] ?? "", /^application\/json;odata\.metadata=minimal/);
    assert.equal(items.get("3")?.status, 404);
    assert.equal(
      (items.get("3")?.body?.["error"] as Record<string, unknown>)["code"],
      "Request_ResourceNotFound",
    );
    // Inner URLs are relative to the version root, as Graph requires.
    assert.equal(items.get("4")?.status, 400);
    assert.match(
      String((items.get("4")?.body?.["error"] as Record<string, unknown>)["message"]),
      /segment 'v1\.0'/,
    );
    assert.ok(items.get("5")?.body?.["@odata.deltaLink"]);
  });

  it("answers 424 for requests whose dependency failed, and runs dependants after their dependency", async () => {
    const { batch, byId, log } = setup();
    const reply = await batch([
      { id: "a", method: "POST", url: "/notes", headers: json, body: { nope: 1 } },
      { id: "b", method: "GET", url: "/notes/n1", dependsOn: ["a"] },
      { id: "c", method: "GET", url: "/notes/n1", dependsOn: ["b"] },
      { id: "d", method: "POST", url: "/notes", headers: json, body: { text: "x" } },
      { id: "e", method: "GET", url: "/notes/n1", dependsOn: ["d"] },
    ]);
    const items = byId(reply);
    assert.equal(items.get("a")?.status, 400);
    assert.equal(items.get("b")?.status, 424);
    assert.equal(items.get("c")?.status, 424);
    assert.equal(items.get("e")?.status, 200);
    assert.deepEqual(log, ["create n1", "get n1"]);
  });

  it("refuses malformed batches as a whole with Graph's messages", async () => {
    const { batch } = setup();
    const get = (id: string) => ({ id, method: "GET", url: "/notes/n1" });
    const cases: [unknown[], RegExp][] = [
      [[], /^Invalid batch payload format\.$/],
      [Array.from({ length: 21 }, (_, i) => get(String(i))), /limit is 20/],
      [[get("1"), get("1")], /^Request Id 1 has to be unique in a batch\.$/],
      [
        [{ id: "1", method: "POST", url: "/notes", body: { text: "x" } }],
        /^Write request id : 1 does not contain Content-Type header or body\.$/,
      ],
      [[{ ...get("1"), dependsOn: ["9"] }], /depends on '9'/],
      [
        [
          { ...get("1"), dependsOn: ["2"] },
          { ...get("2"), dependsOn: ["1"] },
        ],
        /cycle/,
      ],
      [[{ id: "1", method: "GET" }], /^Invalid batch payload format\.$/],
      [[{ id: "1", method: "FETCH", url: "/notes" }], /^Invalid batch payload format\.$/],
      [["not an object"], /^Invalid batch payload format\.$/],
    ];
    for (const [requests, message] of cases) {
      const reply = await batch(requests);
      assert.equal(reply.status, 400, JSON.stringify(requests).slice(0, 80));
      const error = reply.body["error"] as Record<string, unknown>;
      assert.equal(error["code"], "BadRequest");
      assert.match(String(error["message"]), message);
    }
    const { t } = setup();
    const notJson = await t.call("POST", "/v1.0/$batch", { body: [1, 2] });
    assert.equal(notJson.status, 400);
  });

  it("throttles inner requests one by one, each 429 with its own Retry-After", async () => {
    const { batch, byId } = setup({ readBudget: 10 });
    const requests = Array.from({ length: 15 }, (_, i) => ({
      id: String(i),
      method: "GET",
      url: "/notes/none",
    }));
    const items = [...byId(await batch(requests)).values()];
    const throttled = items.filter((i) => i.status === 429);
    assert.ok(throttled.length > 0 && throttled.length < 15, `throttled ${throttled.length}`);
    for (const item of throttled) {
      assert.ok(Number(item.headers["Retry-After"]) > 0);
      assert.equal((item.body?.["error"] as Record<string, unknown>)["code"], "TooManyRequests");
    }
  });

  it("checks permissions per inner request", async () => {
    const { batch, byId } = setup();
    const items = byId(
      await batch(
        [
          { id: "1", method: "GET", url: "/users/delta" },
          { id: "2", method: "GET", url: "/groups/delta" },
        ],
        ["User.Read.All"],
      ),
    );
    assert.equal(items.get("1")?.status, 200);
    assert.equal(items.get("2")?.status, 403);
  });

  it("does not answer in request order", async () => {
    const { batch } = setup();
    const requests = Array.from({ length: 20 }, (_, i) => ({
      id: String(i),
      method: "GET",
      url: "/notes/x",
    }));
    let reordered = false;
    for (let attempt = 0; attempt < 5 && !reordered; attempt++) {
      const ids = ((await batch(requests)).body["responses"] as Item[]).map((r) => r.id);
      reordered = ids.join() !== requests.map((r) => r.id).join();
    }
    assert.ok(reordered);
  });
});
