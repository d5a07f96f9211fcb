/**
 * Creates whose answer is lost (a 504, a timeout or a reset after the POST was sent) against the fake
 * client: the object is looked up by its unique key and reported, or the POST is resent; it is never
 * created twice. The emulator only faults requests before handling them, so a create that went through
 * and then lost its answer is staged here. Faults against the emulator are in actions-faults.test.ts.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { createError, GraphError, isConnectorError } from "../src/errors.ts";
import { createGroup, createUser } from "../src/index.ts";
import { FakeGraph, GROUP_ID, graphError, USER_ID } from "./actions-support.ts";

function gatewayTimeout(url: string): GraphError {
  return new GraphError({
    code: "GRAPH_UNAVAILABLE",
    status: 504,
    graphCode: "UnknownError",
    graphMessage: "The operation has timed out.",
    requestId: "req-504",
    method: "POST",
    url,
  });
}

const reset = (url: string) => createError("NET_FAILED", { method: "POST", url, reason: "ECONNRESET" });

/** A directory with one collection keyed by `key`, whose POST answers with each of `answers` in turn. */
function directory(collection: "users" | "groups", key: string, answers: ("lost" | "refused" | "ok")[]) {
  const made: Record<string, unknown>[] = [];
  /** How many lookups still miss an object that exists (replication lag). */
  let lagging = 0;
  const graph = new FakeGraph()
    .on("GET", new RegExp(`^/${collection}\\?`), () => {
      if (lagging > 0) {
        lagging--;
        return { body: { value: [] } };
      }
      return { body: { value: made.map((o) => ({ id: o["id"], [key]: o[key] })) } };
    })
    .on("POST", new RegExp(`^/${collection}$`), (url, body) => {
      const answer = answers.shift() ?? "ok";
      if (answer === "refused") throw reset(url);
      if (made.some((o) => o[key] === (body as Record<string, unknown>)[key])) {
        return graphError(400, `Another object with the same value for property ${key} already exists.`);
      }
      const object = { id: collection === "users" ? USER_ID : GROUP_ID, ...(body as object) };
      made.push(object);
      if (answer === "lost") throw gatewayTimeout(url);
      return { status: 201, body: object };
    });
  return {
    graph,
    made,
    lag(lookups: number) {
      lagging = lookups;
    },
    posts: () => graph.writes().filter((w) => w.method === "POST").length,
  };
}

const deps = (graph: FakeGraph) => ({ graph, writesEnabled: true, replicationWaitMs: 1000 });
const newUser = { displayName: "Ann", userPrincipalName: "ann@contoso.com", password: "Str0ng!Passw0rd" };

describe("create-user", () => {
  test("the answer is lost after the user was made: it is found by UPN and reported, not resent", async () => {
    const d = directory("users", "userPrincipalName", ["lost"]);
    const out = await createUser(deps(d.graph), newUser);
    assert.deepEqual(
      [out.changed, out.user.id, out.user["userPrincipalName"]],
      [true, USER_ID, newUser.userPrincipalName],
    );
    assert.equal(d.posts(), 1);
    assert.equal(d.made.length, 1);
  });

  test("a reset before anything was made: the POST is resent once", async () => {
    const d = directory("users", "userPrincipalName", ["refused"]);
    const out = await createUser(deps(d.graph), newUser);
    assert.equal(out.user.id, USER_ID);
    assert.deepEqual([d.posts(), d.made.length], [2, 1]);
  });

  test("made but not yet listed: the resend's conflict means ours, and its id is waited for", async () => {
    const d = directory("users", "userPrincipalName", ["lost"]);
    d.lag(3);
    const out = await createUser(deps(d.graph), newUser);
    assert.deepEqual([out.changed, out.user.id], [true, USER_ID]);
    assert.deepEqual([d.posts(), d.made.length], [2, 1]);
  });

  test("still not listed after the wait: REPLICATION_LAG, never a second user", async () => {
    const d = directory("users", "userPrincipalName", ["lost"]);
    d.lag(1000);
    await assert.rejects(
      createUser({ ...deps(d.graph), replicationWaitMs: 200 }, newUser),
      (err: unknown) => isConnectorError(err) && err.code === "REPLICATION_LAG",
    );
    assert.equal(d.made.length, 1);
  });

  test("a failure on every send gives up after a few, with the transient error", async () => {
    const d = directory("users", "userPrincipalName", [
      "refused",
      "refused",
      "refused",
      "refused",
      "refused",
    ]);
    await assert.rejects(
      createUser(deps(d.graph), newUser),
      (err: unknown) => isConnectorError(err) && err.code === "NET_FAILED",
    );
    assert.deepEqual([d.posts(), d.made.length], [4, 0]);
  });

  test("a 429 is not resent (Graph did nothing, and the client already waited and retried)", async () => {
    const throttled = new GraphError({
      code: "GRAPH_THROTTLED",
      status: 429,
      graphCode: "TooManyRequests",
      graphMessage: "Please retry again later.",
      requestId: "req-429",
      method: "POST",
      url: "/users",
    });
    const graph = new FakeGraph()
      .on("GET", /^\/users\?/, { body: { value: [] } })
      .on("POST", /^\/users$/, throttled);
    await assert.rejects(createUser(deps(graph), newUser), (err: unknown) => err === throttled);
    assert.equal(graph.writes().length, 1);
  });
});

describe("create-group", () => {
  test("a security group made but not yet listed is waited for, not resent (its mailNickname is not unique in Graph)", async () => {
    const d = directory("groups", "mailNickname", ["lost"]);
    d.lag(3);
    const out = await createGroup(deps(d.graph), { displayName: "Finance", mailNickname: "finance" });
    assert.deepEqual([out.changed, out.group.id, out.group["displayName"]], [true, GROUP_ID, "Finance"]);
    assert.deepEqual([d.posts(), d.made.length], [1, 1]);
  });

  test("a security group never made is resent once the wait shows it absent", async () => {
    const d = directory("groups", "mailNickname", ["refused"]);
    const out = await createGroup({ ...deps(d.graph), replicationWaitMs: 150 }, { displayName: "Finance" });
    assert.equal(out.group.id, GROUP_ID);
    assert.deepEqual([d.posts(), d.made.length], [2, 1]);
  });

  test("a Microsoft 365 group's lost answer: found by mailNickname, reported as created", async () => {
    const d = directory("groups", "mailNickname", ["lost"]);
    const out = await createGroup(deps(d.graph), { displayName: "Crew", groupTypes: ["Unified"] });
    assert.deepEqual([out.changed, out.group.id], [true, GROUP_ID]);
    assert.deepEqual([d.posts(), d.made.length], [1, 1]);
  });
});
