/** The HTTP target against a small asset-register API: templated requests, ids from answers, retries. */
import assert from "node:assert/strict";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, beforeEach, describe, it } from "node:test";
import { isConnectorError } from "../src/errors.ts";
import { type Mapping, openTarget, parseMapping } from "../src/mapping/index.ts";
import { kinds, runMapping, user } from "./mapping-target-support.ts";

const TOKEN = "asset-api-token-91b2";
interface Person {
  id: number;
  email: string;
  first_name: string;
  note?: string;
  active: boolean;
}
const people = new Map<number, Person>();
const seen: { method: string; url: string; headers: IncomingHttpHeaders; body: string }[] = [];
let nextId = 1;
/** Statuses the next requests meet before the API answers them. */
let faults: number[] = [];

let server: Server;
let base: string;

before(async () => {
  server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString("utf8");
    seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
    const send = (status: number, payload?: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { "content-type": "application/json", ...headers });
      res.end(payload === undefined ? undefined : JSON.stringify(payload));
    };
    if (req.headers.authorization !== `Bearer ${TOKEN}`) return send(401, { error: "bad token" });
    const fault = faults.shift();
    if (fault) return send(fault, { error: "try later" }, fault === 429 ? { "retry-after": "0" } : {});
    const url = new URL(req.url!, "http://x");
    const match = /^\/v1\/users\/(\d+)$/.exec(url.pathname);
    if (req.method === "GET" && url.pathname === "/v1/users" && url.searchParams.has("page")) {
      const size = Number(url.searchParams.get("per_page"));
      const start = (Number(url.searchParams.get("page")) - 1) * size;
      const all = [...people.values()].map(({ email, ...rest }) => ({ contact: { email }, ...rest }));
      return send(200, { data: all.slice(start, start + size) });
    }
    if (req.method === "GET" && url.pathname === "/v1/users") {
      const email = url.searchParams.get("email")?.toLowerCase();
      return send(200, { data: [...people.values()].filter((p) => p.email.toLowerCase() === email) });
    }
    if (req.method === "POST" && url.pathname === "/v1/users") {
      const input = JSON.parse(body).user as Omit<Person, "id">;
      if ([...people.values()].some((p) => p.email.toLowerCase() === input.email.toLowerCase()))
        return send(409, { error: "email taken" });
      const person = { ...input, id: nextId++ };
      people.set(person.id, person);
      return send(201, { data: person });
    }
    const person = match ? people.get(Number(match[1])) : undefined;
    if (!person) return send(404, { error: "no such user" });
    if (req.method === "PATCH") {
      Object.assign(person, JSON.parse(body).user);
      return send(200, { data: person });
    }
    if (req.method === "DELETE") {
      people.delete(person.id);
      return send(204);
    }
    send(405, {});
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => server.close());
beforeEach(() => {
  people.clear();
  seen.length = 0;
  faults = [];
});

// biome-ignore lint/suspicious/noTemplateCurlyInString: the default is the mapping's own ${NAME} syntax
function mapping(token = "${ASSET_TOKEN}", edit: (text: string) => string = (t) => t): Mapping {
  return parseMapping(
    edit(
      `name: assets
source: { users: { memberOf: [Staff] } }
match: [email]
attributes:
  email: "[mail]"
  first_name: "[givenName]"
  note: "[jobTitle]"
  active: "[accountEnabled]"
target:
  type: http
  auth: { type: bearer, token: "${token}" }
  idPath: data.id
  requests:
    lookup: { method: GET, url: "${base}/v1/users?email=\${email}", resultPath: data }
    create:
      method: POST
      url: ${base}/v1/users
      body: { user: { email: "\${email}", first_name: "\${first_name}", note: "\${note}", active: "\${active}" } }
    update:
      method: PATCH
      url: "${base}/v1/users/\${id}"
      body: '{"user": {"first_name": "\${first_name}", "note": "\${note}"}}'
    disable: { method: PATCH, url: "${base}/v1/users/\${id}", body: { user: { active: false } } }
    delete: { method: DELETE, url: "${base}/v1/users/\${id}" }
  ratePerSecond: 1000
onLeave: { outOfScope: delete, disabled: disable }
`,
    ),
    "assets.yaml",
    { env: { ASSET_TOKEN: TOKEN } },
  );
}

const ada = user("1", {
  mail: "ada+eng@contoso.test",
  givenName: "Ada",
  jobTitle: 'Lead "engines"\nand maths',
});
const bob = user("2", { mail: "bob@contoso.test", givenName: "Bob", jobTitle: "Clerk" });

describe("HTTP target", () => {
  it("creates, finds, updates, disables and deletes through the request templates", async () => {
    const m = mapping();
    const first = await runMapping(m, [ada, bob], openTarget(m));
    assert.deepEqual(kinds(first), ["create:ada+eng@contoso.test", "create:bob@contoso.test"]);
    assert.deepEqual(
      [...people.values()].map((p) => [p.email, p.first_name, p.note, p.active]),
      [
        ["ada+eng@contoso.test", "Ada", 'Lead "engines"\nand maths', true],
        ["bob@contoso.test", "Bob", "Clerk", true],
      ],
    );
    assert.ok(
      seen.some((s) => s.url === "/v1/users?email=ada%2Beng%40contoso.test"),
      "lookup values are URL-encoded",
    );

    const promoted = user("1", { ...ada.data, jobTitle: "Director" });
    const second = await runMapping(m, [promoted, { ...bob, state: "disabled" }], openTarget(m));
    assert.deepEqual(kinds(second), ["update:ada+eng@contoso.test", "disable:bob@contoso.test"]);
    const patch = seen.find((s) => s.method === "PATCH" && s.body.includes("Director"))!;
    assert.deepEqual(JSON.parse(patch.body), { user: { first_name: "Ada", note: "Director" } });
    assert.equal(people.get(2)?.active, false);

    const third = await runMapping(m, [promoted, { ...bob, state: "outOfScope" }], openTarget(m));
    assert.deepEqual(kinds(third), ["skip:ada+eng@contoso.test", "delete:bob@contoso.test"]);
    assert.deepEqual([...people.keys()], [1]);
  });

  it("with a list request, reads the records a page at a time (id and key from the answer) and leaves those of users gone", async () => {
    const listing = (text: string) =>
      text.replace(
        "    create:\n",
        `    list: { method: GET, url: "${base}/v1/users?page=\${page}&per_page=\${pageSize}", resultPath: data, pageSize: 2, keyPath: contact.email }\n    create:\n`,
      );
    const m = mapping(undefined, listing);
    const cy = user("3", { mail: "cy@contoso.test", givenName: "Cy", jobTitle: "Clerk" });
    await runMapping(m, [ada, bob, cy], openTarget(m));
    assert.equal(people.size, 3);
    const bobId = [...people.values()].find((p) => p.email === "bob@contoso.test")!.id;
    seen.length = 0;
    const left = await runMapping(m, [ada, { ...bob, state: "outOfScope" }, cy], openTarget(m));
    assert.deepEqual(kinds(left), [
      "skip:ada+eng@contoso.test",
      "delete:bob@contoso.test",
      "skip:cy@contoso.test",
    ]);
    assert.deepEqual(
      seen.map((s) => `${s.method} ${s.url}`),
      ["GET /v1/users?page=1&per_page=2", "GET /v1/users?page=2&per_page=2", `DELETE /v1/users/${bobId}`],
      "two pages (the second short), no lookup per user",
    );
    assert.throws(
      () => openTarget(mapping(undefined, (t) => listing(t).replace(/page=\$\{page\}&/, ""))),
      (err: unknown) =>
        isConnectorError(err, "TARGET_CONFIG_INVALID") && /requests\.list\.url/.test(err.message),
    );
  });

  it("retries 429 and 503 with Retry-After, and never repeats a POST without a lookup first", async () => {
    const target = openTarget(mapping());
    faults = [429, 503];
    const created = await target.create({ email: "cy@contoso.test", first_name: "Cy", active: true });
    assert.equal(people.size, 1);
    assert.equal(created.id, String([...people.keys()][0]));
    const methods = seen.map((s) => s.method);
    assert.deepEqual(methods, ["POST", "POST", "GET", "POST"]);
    faults = [503, 502];
    await target.update(created.id, [{ path: "first_name", old: "Cy", new: "Cyrus" }], {
      email: "cy@contoso.test",
    });
    assert.equal(people.get(Number(created.id))?.first_name, "Cyrus");
    await target.close();
  });

  it("a 409 on create becomes a lookup and update; an update of a deleted record creates it again", async () => {
    const target = openTarget(mapping());
    people.set(50, { id: 50, email: "dee@contoso.test", first_name: "D", active: true });
    const found = await target.create({
      email: "DEE@contoso.test",
      first_name: "Dee",
      note: "n",
      active: true,
    });
    assert.equal(found.id, "50");
    assert.equal(people.get(50)?.first_name, "Dee");
    people.clear();
    const back = await target.update("50", [], {
      email: "dee@contoso.test",
      first_name: "Dee",
      active: true,
    });
    assert.notEqual(back.id, "50");
    assert.equal(people.size, 1);
    await target.close();
  });

  it("a refused token is TARGET_AUTH_FAILED without the token in it", async () => {
    const target = openTarget(mapping("wrong-token-xyz"));
    await assert.rejects(
      target.create({ email: "e@contoso.test", first_name: "E", active: true }),
      (err: unknown) => {
        assert.ok(isConnectorError(err, "TARGET_AUTH_FAILED"));
        assert.ok(!JSON.stringify({ m: err.message, p: err.params }).includes("wrong-token-xyz"));
        return true;
      },
    );
    await target.close();
  });
});
