/** The emulator's front door: what live Graph returns by default, and requests Node alone would mishandle. */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { request } from "node:https";
import { after, before, describe, it } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import { Agent, fetch as undiciFetch } from "undici";
import { appToken, type Emulator, startEmulator } from "./index.ts";
import { GRAPH_JSON } from "./server.ts";

let emu: Emulator;
let agent: Agent;
let token: string;
const logged: string[] = [];

async function call(path: string, headers: Record<string, string> = {}) {
  const response = await undiciFetch(`${emu.graphRoot}${path}`, {
    headers: { authorization: `Bearer ${token}`, ...headers },
    dispatcher: agent,
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text };
}

function graphError(text: string): Record<string, unknown> {
  const body = JSON.parse(text) as { error: Record<string, unknown> };
  assert.deepEqual(Object.keys(body), ["error"]);
  assert.equal(typeof body.error["code"], "string");
  assert.equal(typeof body.error["message"], "string");
  assert.match(
    String((body.error["innerError"] as Record<string, unknown>)["request-id"]),
    /^[0-9a-f-]{36}$/,
  );
  return body.error;
}

before(async () => {
  emu = await startEmulator({ size: "s", seed: 3, log: (line) => logged.push(line) });
  agent = new Agent({ connect: { ca: readFileSync(emu.caFile) } });
  token = await appToken(emu, { dispatcher: agent, clientId: emu.clientId, clientSecret: emu.clientSecret });
});
after(async () => {
  await agent.close();
  await emu.close();
});

describe("the emulator's front door", () => {
  it("lists service principals with createdByAppId and isDisabled among the default properties", async () => {
    const reply = await call("/v1.0/servicePrincipals?$top=1");
    assert.equal(reply.status, 200);
    const [first] = (JSON.parse(reply.text) as { value: Record<string, unknown>[] }).value;
    assert.ok(
      first && "createdByAppId" in first && "isDisabled" in first,
      Object.keys(first ?? {}).join(","),
    );
  });

  it("answers a URL over 16 KB with 414 in Graph's error shape, then keeps serving", async () => {
    const ids = Array.from({ length: 450 }, (_, i) => `'${String(i).padStart(36, "0")}'`).join(",");
    const reply = await call(`/v1.0/users?$filter=id in (${ids})`);
    assert.equal(reply.status, 414);
    assert.equal(reply.headers.get("content-type"), GRAPH_JSON);
    graphError(reply.text);
    assert.equal((await call("/v1.0/users?$top=1")).status, 200);
  });

  it("answers headers Node's parser refuses with a 400 in Graph's error shape", async () => {
    const reply = await call("/v1.0/users?$top=1", { "x-padding": "x".repeat(80 * 1024) });
    assert.equal(reply.status, 400);
    assert.equal(reply.headers.get("content-type"), GRAPH_JSON);
    assert.match(String(graphError(reply.text)["message"]), /headers is too long/);
  });

  it("takes an upload the client aborts for what it is: nothing logged, still serving", async () => {
    const before = logged.length;
    const url = new URL(`${emu.graphRoot}/v1.0/users`);
    const closed: Promise<void>[] = [];
    for (let i = 0; i < 5; i++) {
      const req = request(url, {
        method: "POST",
        ca: readFileSync(emu.caFile),
        headers: {
          authorization: `Bearer ${token}`,
          "content-type": "application/json",
          "content-length": "100000",
        },
      });
      req.on("error", () => {});
      closed.push(new Promise((resolve) => req.on("close", () => resolve())));
      req.flushHeaders();
      await new Promise((resolve) => req.once("socket", (socket) => socket.once("secureConnect", resolve)));
      req.write('{"displayName":"half');
      // Long enough for the server to be reading the body when the client gives up.
      await delay(50);
      req.destroy();
    }
    await Promise.all(closed);
    // The server sees each reset on its next turn; a served request after them means it has.
    await delay(50);
    assert.equal((await call("/v1.0/users?$top=1")).status, 200);
    assert.deepEqual(logged.slice(before), []);
  });
});
