/**
 * The SCIM target against SCIMMY's service provider (test/support/scim-server.ts), with faults injected
 * in front of it.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { after, afterEach, before, beforeEach, describe, it } from "node:test";
import { isConnectorError } from "../src/errors.ts";
import {
  compileAttributes,
  compileExpression,
  parseMapping,
  planProvisioning,
  provisionGroups,
  SCIM_ENTERPRISE_USER_SCHEMA,
  type ScimTarget,
  type ScimTargetOptions,
  scimFilterValue,
  scimTarget,
} from "../src/mapping/index.ts";
import { listen, type ScimServer, startScimServer } from "./support/scim-server.ts";

const TOKEN = "test-token-3f9a1c";

const opened: ScimTarget[] = [];
function open(options: ScimTargetOptions): ScimTarget {
  const target = scimTarget(options);
  opened.push(target);
  return target;
}
afterEach(() => Promise.all(opened.splice(0).map((t) => t.close())));

let scim: ScimServer;
let url: string;
let users: ScimServer["users"];
let groups: ScimServer["groups"];

before(async () => {
  scim = await startScimServer(TOKEN);
  url = scim.url;
  users = scim.users;
  groups = scim.groups;
});

after(() => scim.close());

beforeEach(() => scim.reset());

const fast: Partial<ScimTargetOptions> = { backoff: { baseMs: 1, maxMs: 5 }, ratePerSecond: 1000 };

function ada(extra: Record<string, unknown> = {}) {
  return {
    userName: "ada@contoso.test",
    externalId: "u-ada",
    active: true,
    name: { givenName: "Ada", familyName: "Lovelace" },
    ...extra,
  };
}

describe("SCIM target against SCIMMY", () => {
  it("discovers PATCH and filter support from ServiceProviderConfig", async () => {
    const target = open({ url, token: TOKEN, ...fast });
    const caps = await target.discover();
    assert.equal(caps.patch, true);
    assert.equal(caps.etags, false);
    assert.equal(caps.groups, true);
  });

  it("creates a user, then finds it by userName in any case and by externalId", async () => {
    const target = open({ url, token: TOKEN, ...fast });
    const created = await target.create(ada());
    assert.equal(users.size, 1);
    const byName = await target.lookup([{ path: "userName", value: "ADA@Contoso.TEST" }]);
    assert.equal(byName?.id, created.id);
    const byExternal = await target.lookup([
      { path: "userName", value: "nobody@contoso.test" },
      { path: "externalId", value: "u-ada" },
    ]);
    assert.equal(byExternal?.id, created.id);
    assert.equal(await target.lookup([{ path: "externalId", value: "U-ADA" }]), undefined);
  });

  it("sends the enterprise extension schema when enterprise attributes are present", async () => {
    const target = open({ url, token: TOKEN, ...fast });
    const ent = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    const created = await target.create(ada({ [ent]: { department: "Engines" } }));
    assert.deepEqual(created.attributes[ent], { department: "Engines" });
    const updated = await target.update(
      created.id,
      [{ path: `${ent}.department`, old: "Engines", new: "Analytics" }],
      ada({ [ent]: { department: "Analytics" } }),
    );
    assert.deepEqual(updated.attributes[ent], { department: "Analytics" });
  });

  it("updates with PATCH only the named attributes", async () => {
    const target = open({ url, token: TOKEN, ...fast });
    const created = await target.create(ada({ displayName: "Ada" }));
    const updated = await target.update(
      created.id,
      [{ path: "name.givenName", old: "Ada", new: "Augusta" }],
      ada({ name: { givenName: "Augusta", familyName: "Lovelace" }, displayName: "Ada" }),
    );
    assert.deepEqual(updated.attributes.name, { givenName: "Augusta", familyName: "Lovelace" });
    const stored = users.get(created.id)!;
    assert.deepEqual(stored.name, { givenName: "Augusta", familyName: "Lovelace" });
    assert.equal(stored.displayName, "Ada");
    assert.equal(stored.userName, "ada@contoso.test");
  });

  it("disables by setting active to false, and deletes", async () => {
    const target = open({ url, token: TOKEN, ...fast });
    const created = await target.create(ada());
    await target.disable(created.id);
    assert.equal(users.get(created.id)?.active, false);
    await target.delete(created.id);
    assert.equal(users.size, 0);
    await target.delete(created.id);
  });

  it("turns a 409 on create of an existing userName into an update, never a duplicate", async () => {
    const target = open({ url, token: TOKEN, ...fast });
    const first = await target.create(ada());
    const again = await target.create(
      ada({ userName: "ADA@contoso.test", name: { givenName: "Ada", familyName: "King" } }),
    );
    assert.equal(again.id, first.id);
    assert.equal(users.size, 1);
    assert.deepEqual(users.get(first.id)?.name, { givenName: "Ada", familyName: "King" });
  });

  it("updating a record deleted meanwhile creates it again", async () => {
    const target = open({ url, token: TOKEN, ...fast });
    const created = await target.create(ada());
    users.delete(created.id);
    const back = await target.update(created.id, [{ path: "active", old: true, new: true }], ada());
    assert.notEqual(back.id, created.id);
    assert.equal(users.size, 1);
  });

  it("ends with exactly what was asked despite 429s, 503s and dropped connections", async () => {
    scim.faults = ["429", "503", "drop-before", "drop-after"];
    const target = open({ url, token: TOKEN, ...fast, concurrency: 3 });
    const names = Array.from({ length: 12 }, (_, i) => `user${i}@contoso.test`);
    const created = await Promise.all(
      names.map((userName, i) => target.create({ userName, externalId: `u-${i}`, active: true })),
    );
    assert.equal(users.size, names.length);
    await Promise.all(
      created.slice(0, 6).map((r) =>
        target.update(r.id, [{ path: "displayName", old: undefined, new: `D ${r.id}` }], {
          ...r.attributes,
          displayName: `D ${r.id}`,
        }),
      ),
    );
    await Promise.all(created.slice(6, 9).map((r) => target.disable(r.id)));
    await Promise.all(created.slice(9).map((r) => target.delete(r.id)));
    assert.ok(scim.requests.length > 40, "faults were injected across many requests");
    const left = [...users.values()].sort((a, b) => a.userName.localeCompare(b.userName));
    assert.deepEqual(
      left.map((u) => u.userName),
      names.slice(0, 9).sort(),
    );
    for (const r of created.slice(0, 6)) assert.equal(users.get(r.id)?.displayName, `D ${r.id}`);
    for (const r of created.slice(6, 9)) assert.equal(users.get(r.id)?.active, false);
  });

  it("sends the bearer token; a wrong one fails as TARGET_AUTH_FAILED without echoing it", async () => {
    const wrong = "wrong-secret-token-77";
    const target = open({ url, token: wrong, ...fast });
    await assert.rejects(target.lookup([{ path: "userName", value: "x" }]), (err: unknown) => {
      assert.ok(isConnectorError(err, "TARGET_AUTH_FAILED"));
      assert.ok(!JSON.stringify({ message: err.message, err }).includes(wrong));
      assert.ok(!String(err.stack).includes(wrong));
      return true;
    });
  });

  it("refuses bad settings before any request", () => {
    assert.throws(() => scimTarget({ url: "ftp://x", token: TOKEN }), /url/);
    assert.throws(() => scimTarget({ url }), /token/);
    assert.throws(() => scimTarget({ url, token: TOKEN, concurrency: 0 }), /concurrency/);
  });
});

describe("SCIM filter values", () => {
  it("escapes backslash and double quote", () => {
    assert.equal(scimFilterValue('a"b\\c'), '"a\\"b\\\\c"');
  });
});

describe("SCIM target entra-legacy dialect", () => {
  const legacyUsers = new Map<string, Record<string, unknown>>();
  let legacy: Server;
  let legacyUrl: string;

  async function body(req: IncomingMessage): Promise<Record<string, unknown>> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>;
  }

  // Speaks only the legacy shapes: capitalised ops and booleans as "True"/"False" strings.
  before(async () => {
    legacy = createServer(async (req, res) => {
      const send = (status: number, payload?: unknown) => {
        res.writeHead(status, { "content-type": "application/scim+json" });
        res.end(payload === undefined ? undefined : JSON.stringify(payload));
      };
      const path = req.url ?? "";
      if (req.method === "GET" && path === "/ServiceProviderConfig") {
        return send(200, {
          patch: { supported: true },
          filter: { supported: true },
          etag: { supported: false },
        });
      }
      if (req.method === "POST" && (path === "/Users" || path === "/Groups")) {
        const id = randomUUID();
        const user = { ...(await body(req)), id };
        legacyUsers.set(id, user);
        return send(201, user);
      }
      const id = decodeURIComponent(path.replace(/^\/(Users|Groups)\//, ""));
      if (req.method === "GET" && legacyUsers.has(id)) return send(200, legacyUsers.get(id));
      if (req.method === "PATCH" && path.startsWith("/Groups/") && legacyUsers.has(id)) {
        // Member changes as this dialect sends them: Add / Remove on "members" with the members as the value.
        const group = legacyUsers.get(id)!;
        let members = (group.members as { value: string }[]) ?? [];
        for (const op of (await body(req)).Operations as { op: string; path: string; value: unknown }[]) {
          const values = Array.isArray(op.value) ? (op.value as { value: string }[]).map((m) => m.value) : [];
          if (op.path !== "members" || values.length === 0 || !["Add", "Remove"].includes(op.op))
            return send(400, {
              status: "400",
              scimType: "invalidPath",
              detail: "expects Add/Remove on members",
            });
          members =
            op.op === "Add"
              ? [...members, ...values.map((value) => ({ value }))]
              : members.filter((m) => !values.includes(m.value));
        }
        group.members = members;
        return send(204);
      }
      if (req.method === "PATCH" && legacyUsers.has(id)) {
        const patch = await body(req);
        const ops = patch.Operations as { op: string; path: string; value: unknown }[];
        for (const op of ops) {
          if (op.op !== "Replace" || typeof op.value === "boolean") {
            return send(400, {
              status: "400",
              scimType: "invalidValue",
              detail: "expects Replace and True/False",
            });
          }
        }
        const user = legacyUsers.get(id)!;
        for (const op of ops) user[op.path] = op.value;
        return send(200, user);
      }
      send(404, { status: "404", detail: "not found" });
    });
    legacyUrl = await listen(legacy);
  });
  after(() => legacy.close());

  it("disables with a capitalised Replace and the string False", async () => {
    const target = open({ url: legacyUrl, token: TOKEN, compatibility: "entra-legacy", ...fast });
    const created = await target.create({ userName: "bob@contoso.test", active: true });
    await target.disable(created.id);
    assert.equal(legacyUsers.get(created.id)?.active, "False");
  });

  it("changes group members with Add and Remove ops that carry the members as their value", async () => {
    const target = open({ url: legacyUrl, token: TOKEN, compatibility: "entra-legacy", ...fast });
    const group = await target.groups!.create({ displayName: "Ops", members: ["a", "b"] });
    const after = await target.groups!.update(group, { displayName: "Ops", members: ["b", "c"] });
    assert.deepEqual(after.members, ["b", "c"]);
    assert.deepEqual(
      (legacyUsers.get(group.id)?.members as { value: string }[]).map((m) => m.value),
      ["b", "c"],
    );
    const standard = open({ url: legacyUrl, token: TOKEN, ...fast });
    await assert.rejects(
      standard.groups!.update(after, { displayName: "Ops", members: ["c"] }),
      /invalidPath/,
    );
  });

  it("standard shapes are what such a provider refuses", async () => {
    const target = open({ url: legacyUrl, token: TOKEN, ...fast });
    const created = await target.create({ userName: "carol@contoso.test", active: true });
    await assert.rejects(target.disable(created.id), (err: unknown) => {
      assert.ok(isConnectorError(err, "TARGET_REQUEST_FAILED"));
      assert.match(err.message, /400 \(invalidValue\): expects Replace/);
      return true;
    });
  });
});

describe("SCIM target without PATCH, with ETags, OAuth and limits", () => {
  interface Seen {
    method: string;
    url: string;
    headers: IncomingMessage["headers"];
    body: string;
  }
  const seen: Seen[] = [];
  const stored = new Map<string, Record<string, unknown>>();
  let inFlight = 0;
  let maxInFlight = 0;
  let tokensIssued = 0;
  const hanging: { end(): void }[] = [];
  let provider: Server;
  let base: string;

  before(async () => {
    provider = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const body = Buffer.concat(chunks).toString("utf8");
      seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body });
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 5));
      inFlight--;
      const send = (status: number, payload?: unknown) => {
        res.writeHead(status, { "content-type": "application/scim+json" });
        res.end(payload === undefined ? undefined : JSON.stringify(payload));
      };
      if (req.url?.includes("hang")) {
        hanging.push(res);
        return;
      }
      if (req.url === "/token") {
        tokensIssued++;
        return send(200, { access_token: `issued-${tokensIssued}`, expires_in: 3600, token_type: "Bearer" });
      }
      if (req.url === "/ServiceProviderConfig") {
        return send(200, {
          patch: { supported: false },
          filter: { supported: true },
          etag: { supported: true },
        });
      }
      if (req.url === "/ResourceTypes")
        return send(200, { Resources: [{ name: "User" }, { name: "Group" }] });
      if (req.method === "GET" && req.url?.startsWith("/Users?startIndex")) {
        // Pages of at most 50, whatever count asks: the client must follow startIndex, not its own count.
        const query = new URL(req.url, "http://x").searchParams;
        const all = [...stored.values()];
        const start = Number(query.get("startIndex"));
        const page = all.slice(start - 1, start - 1 + Math.min(50, Number(query.get("count"))));
        return send(200, {
          totalResults: all.length,
          startIndex: start,
          itemsPerPage: page.length,
          Resources: page,
        });
      }
      if (req.method === "POST" && (req.url === "/Users" || req.url === "/Groups")) {
        const id = randomUUID();
        const user = { ...JSON.parse(body), id, meta: { version: 'W/"1"' } };
        stored.set(id, user);
        return send(201, user);
      }
      const id = decodeURIComponent((req.url ?? "").replace(/^\/(Users|Groups)\//, ""));
      const current = stored.get(id);
      if (req.method === "GET" && current) return send(200, current);
      if (req.method === "PUT" && current) {
        if (req.headers["if-match"] !== (current.meta as { version: string }).version) return send(412, {});
        const version = `W/"${Number((current.meta as { version: string }).version.slice(3, -1)) + 1}"`;
        const user = { ...JSON.parse(body), id, meta: { version } };
        stored.set(id, user);
        return send(200, user);
      }
      send(404, { detail: "not found" });
    });
    base = await listen(provider);
  });
  after(() => {
    for (const res of hanging) res.end();
    provider.close();
  });
  beforeEach(() => {
    seen.length = 0;
    stored.clear();
    maxInFlight = 0;
    tokensIssued = 0;
  });

  it("replaces the whole record with PUT and If-Match when the provider has no PATCH", async () => {
    const target = open({ url: base, token: TOKEN, ...fast });
    assert.deepEqual(await target.discover(), {
      disable: true,
      delete: true,
      groups: true,
      etags: true,
      patch: false,
      bulk: false,
    });
    const created = await target.create(ada());
    await target.update(
      created.id,
      [{ path: "name.givenName", old: "Ada", new: "Augusta" }],
      ada({ name: { givenName: "Augusta", familyName: "Lovelace" } }),
    );
    await target.disable(created.id);
    const puts = seen.filter((s) => s.method === "PUT");
    assert.deepEqual(
      puts.map((p) => p.headers["if-match"]),
      ['W/"1"', 'W/"2"'],
    );
    assert.equal(JSON.parse(puts[0]!.body).name.givenName, "Augusta");
    assert.equal(stored.get(created.id)?.active, false);
    assert.equal(stored.get(created.id)?.userName, "ada@contoso.test");
    assert.ok(seen.every((s) => s.headers.authorization === `Bearer ${TOKEN}`));
  });

  it("replaces a group whole with PUT and If-Match when the provider has no PATCH", async () => {
    const target = open({ url: base, token: TOKEN, ...fast });
    const group = await target.groups!.create({
      displayName: "Ops",
      externalId: "g-ops",
      members: ["a", "b"],
    });
    await target.groups!.update(group, { displayName: "Ops", externalId: "g-ops", members: ["b", "c"] });
    const put = seen.find((s) => s.method === "PUT")!;
    assert.equal(put.headers["if-match"], 'W/"1"');
    assert.deepEqual(JSON.parse(put.body).members, [{ value: "b" }, { value: "c" }]);
    assert.deepEqual(stored.get(group.id)?.members, [{ value: "b" }, { value: "c" }]);
    assert.equal(stored.get(group.id)?.displayName, "Ops");
  });

  it("lists every user a page at a time with startIndex and count", async () => {
    const target = open({ url: base, token: TOKEN, ...fast });
    for (let i = 0; i < 230; i++) stored.set(`id-${i}`, { id: `id-${i}`, userName: `u${i}@contoso.test` });
    const listed: string[] = [];
    for await (const record of target.list!()) listed.push(record.id);
    assert.equal(listed.length, 230);
    assert.equal(new Set(listed).size, 230);
    const pages = seen.filter((s) => s.url.startsWith("/Users?startIndex"));
    assert.deepEqual(
      pages.map((p) => new URL(p.url, "http://x").searchParams.get("startIndex")),
      ["1", "51", "101", "151", "201"],
    );
  });

  it("fetches an OAuth token with a form POST and reuses it until a minute before expiry", async () => {
    let clock = 1_000_000;
    const target = open({
      url: base,
      oauth: { tokenUrl: `${base}/token`, clientId: "app", clientSecret: "s3cret" },
      now: () => clock,
      ...fast,
    });
    await target.lookup([{ path: "userName", value: "a@contoso.test" }]).catch(() => undefined);
    const tokenRequest = seen.find((s) => s.url === "/token")!;
    assert.equal(tokenRequest.headers["content-type"], "application/x-www-form-urlencoded");
    assert.equal(
      new URLSearchParams(tokenRequest.body).toString(),
      "grant_type=client_credentials&client_id=app&client_secret=s3cret",
    );
    await target.create(ada());
    assert.equal(tokensIssued, 1);
    clock += (3600 - 61) * 1000;
    await target.create(ada({ userName: "b@contoso.test", externalId: "u-b" }));
    assert.equal(tokensIssued, 1);
    clock += 2000;
    await target.create(ada({ userName: "c@contoso.test", externalId: "u-c" }));
    assert.equal(tokensIssued, 2);
    assert.equal(seen.at(-1)?.headers.authorization, "Bearer issued-2");
    clock += 3600 * 1000;
    await Promise.all(["d", "e", "f"].map((n) => target.create({ userName: `${n}@contoso.test` })));
    assert.equal(tokensIssued, 3, "requests that find the token expired together share one token request");
  });

  it("keeps to its concurrency and paces requests to its rate", async () => {
    const waits: number[] = [];
    const target = open({
      url: base,
      token: TOKEN,
      concurrency: 2,
      ratePerSecond: 4,
      now: () => 0,
      sleep: async (ms) => {
        waits.push(ms);
      },
    });
    await Promise.all(Array.from({ length: 6 }, (_, i) => target.create({ userName: `p${i}@contoso.test` })));
    assert.equal(maxInFlight, 2);
    // With the clock held still, the n-th request waits n × 250 ms for its slot.
    assert.deepEqual(waits.slice(0, 4), [250, 500, 750, 1000]);
  });

  it("gives up on a service that never answers after its attempts, as TARGET_UNREACHABLE", async () => {
    const target = open({ url: base, token: TOKEN, ...fast, timeoutMs: 100, maxAttempts: 2 });
    await assert.rejects(
      target.lookup([{ path: "userName", value: "hang@contoso.test" }]),
      (err: unknown) => {
        assert.ok(isConnectorError(err, "TARGET_UNREACHABLE"));
        assert.match(err.message, /after 2 attempts/);
        return true;
      },
    );
    assert.equal(seen.filter((s) => s.url.includes("hang")).length, 2);
  });

  it("close ends the connections of the pool it opened", async () => {
    const target = open({ url: base, token: TOKEN, ...fast });
    await target.create({ userName: "z@contoso.test" });
    const connections = () =>
      new Promise<number>((resolve, reject) =>
        provider.getConnections((e, n) => (e ? reject(e) : resolve(n))),
      );
    assert.ok((await connections()) > 0);
    await target.close();
    for (let i = 0; i < 50 && (await connections()) > 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(await connections(), 0);
  });
});

describe("SCIM target: enterprise attributes addressed by URN path", () => {
  const ent = SCIM_ENTERPRISE_USER_SCHEMA;
  const mapping = parseMapping(
    `name: hr
source: { users: { memberOf: [Staff] } }
match: [userName]
attributes:
  userName: "[userPrincipalName]"
  active: "[accountEnabled]"
  ${ent}:department: "[department]"
  ${ent}:manager.value: "[managerId]"
target: { type: scim, url: http://127.0.0.1:1/scim, token: t }
`,
    "hr.yaml",
  );
  const attributes = compileAttributes(mapping, compileExpression);
  const user = (department: string) => ({
    id: "u1",
    state: "active" as const,
    data: { userPrincipalName: "ada@contoso.test", accountEnabled: true, department, managerId: "m1" },
  });

  it("the planner nests them under the URN and the target creates, then patches them", async () => {
    const target = open({ url, token: TOKEN, ...fast });
    const first = planProvisioning({ mapping, attributes, users: [user("Engines")], targets: [] });
    const create = first.actions[0]!;
    assert.equal(create.kind, "create");
    assert.deepEqual((create as { attributes: Record<string, unknown> }).attributes[ent], {
      department: "Engines",
      manager: { value: "m1" },
    });
    const created = await target.create((create as { attributes: Record<string, unknown> }).attributes);
    assert.deepEqual(users.get(created.id)?.[ent], { department: "Engines", manager: { value: "m1" } });

    const second = planProvisioning({ mapping, attributes, users: [user("Analytics")], targets: [created] });
    const update = second.actions[0]!;
    assert.equal(update.kind, "update");
    const changes = (update as { changes: { path: string; old: unknown; new: unknown }[] }).changes;
    assert.deepEqual(changes, [{ path: `${ent}:department`, old: "Engines", new: "Analytics" }]);
    await target.update(created.id, changes, {});
    assert.deepEqual(users.get(created.id)?.[ent], { department: "Analytics", manager: { value: "m1" } });
  });
});

describe("SCIM target: groups against SCIMMY", () => {
  const spec = { include: ["Engineers"], displayName: "[displayName]", externalId: "[id]" };

  it("creates a group with only its provisioned members, then adds and removes members", async () => {
    const target = open({ url, token: TOKEN, ...fast });
    const a = await target.create(ada());
    const b = await target.create({ userName: "bob@contoso.test", externalId: "u-bob", active: true });
    const c = await target.create({ userName: "cy@contoso.test", externalId: "u-cy", active: true });
    const ids = new Map([
      ["ada", a.id],
      ["bob", b.id],
      ["cy", c.id],
    ]);
    const source = {
      id: "g1",
      data: { id: "g1", displayName: "Engineers" },
      members: ["ada", "bob", "outsider"],
    };
    const [created] = await provisionGroups({
      spec,
      target: target.groups!,
      groups: [source],
      userTargetIds: ids,
    });
    assert.equal(created?.action, "create");
    const stored = groups.get(created!.targetId!)!;
    assert.equal(stored.externalId, "g1");
    assert.deepEqual((stored.members as { value: string }[]).map((m) => m.value).sort(), [a.id, b.id].sort());

    const [again] = await provisionGroups({
      spec,
      target: target.groups!,
      groups: [source],
      userTargetIds: ids,
    });
    assert.equal(again?.action, "skip");

    const moved = { ...source, members: ["bob", "cy"] };
    const [updated] = await provisionGroups({
      spec,
      target: target.groups!,
      groups: [moved],
      userTargetIds: ids,
    });
    assert.deepEqual([updated?.action, updated?.added, updated?.removed], ["update", 1, 1]);
    assert.deepEqual(
      (groups.get(created!.targetId!)!.members as { value: string }[]).map((m) => m.value).sort(),
      [b.id, c.id].sort(),
    );
    assert.equal(groups.size, 1);
  });

  it("a pushed group that left applies onLeave: excluded is emptied (disable) or deleted, deleted in the source is deleted, ignore leaves it", async () => {
    const target = open({ url, token: TOKEN, ...fast });
    const a = await target.create(ada());
    const ids = new Map([["ada", a.id]]);
    const source = (id: string) => ({ id, data: { id, displayName: `Team ${id}` }, members: ["ada"] });
    const all = [source("g1"), source("g2"), source("g3")];
    const made = await provisionGroups({
      spec: { ...spec, include: ["g1", "g2", "g3"] },
      target: target.groups!,
      groups: all,
      userTargetIds: ids,
    });
    const pushed = new Map(made.map((o) => [o.groupId, o.targetId!]));
    const members = (id: string) => {
      const group = groups.get(pushed.get(id)!);
      return group && ((group.members as unknown[] | undefined) ?? []).length;
    };
    const leave = (onLeave: Parameters<typeof provisionGroups>[0]["onLeave"], existing: string[]) =>
      provisionGroups({
        spec,
        target: target.groups!,
        groups: [],
        userTargetIds: ids,
        pushed,
        existing: new Set(existing),
        onLeave,
      });

    const ignored = await leave("ignore", ["g1", "g2"]);
    assert.deepEqual(
      ignored.map((o) => [o.groupId, o.action, o.left]),
      [
        ["g1", "skip", "outOfScope"],
        ["g2", "skip", "outOfScope"],
        ["g3", "skip", "hardDeleted"],
      ],
    );
    assert.deepEqual([members("g1"), members("g2"), members("g3")], [1, 1, 1]);

    const left = await leave("disable", ["g1", "g2"]);
    assert.deepEqual(
      left.map((o) => [o.groupId, o.action, o.removed]),
      [
        ["g1", "disable", 1],
        ["g2", "disable", 1],
        ["g3", "delete", 0],
      ],
    );
    assert.deepEqual([members("g1"), members("g2"), members("g3")], [0, 0, undefined]);

    pushed.delete("g3");
    const deleted = await leave({ outOfScope: "delete" }, ["g1", "g2"]);
    assert.deepEqual(
      deleted.map((o) => o.action),
      ["delete", "delete"],
    );
    assert.equal(groups.size, 0);
  });

  it("a 409 on group create becomes a lookup and update; a group deleted meanwhile is created again", async () => {
    const target = open({ url, token: TOKEN, ...fast });
    const a = await target.create(ada());
    groups.set("old", { id: "old", displayName: "Engineers", members: [] });
    const made = await target.groups!.create({ displayName: "Engineers", externalId: "g1", members: [a.id] });
    assert.equal(made.id, "old");
    assert.equal(groups.size, 1);
    assert.deepEqual(
      (groups.get("old")?.members as { value: string }[]).map((m) => m.value),
      [a.id],
    );
    groups.clear();
    const back = await target.groups!.update(made, { displayName: "Engineers", members: [] });
    assert.notEqual(back.id, "old");
    assert.equal(groups.size, 1);
  });
});
