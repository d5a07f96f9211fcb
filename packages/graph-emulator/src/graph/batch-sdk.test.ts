/**
 * $batch over a real socket with the Graph JS client's own BatchRequestContent / BatchResponseContent:
 * inner reads, a write with a dependant, a 404, and inner throttling with per-request Retry-After.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { BatchRequestContent, BatchResponseContent, type Client } from "@microsoft/microsoft-graph-client";
import { type Emulator, startEmulator } from "../index.ts";
import { sdkClient } from "./sdk-test-client.ts";

let emu: Emulator;
let client: Client;

before(async () => {
  emu = await startEmulator({ size: "s", seed: 9 });
  ({ client } = await sdkClient(emu));
});
after(() => emu.close());

// SDK 3.0.7 strips scheme and host but keeps what follows, so step URLs leave the version out.
const step = (id: string, path: string, init: RequestInit = {}, dependsOn?: string[]) => ({
  id,
  request: new Request(`${emu.graphRoot}${path}`, init),
  ...(dependsOn ? { dependsOn } : {}),
});

async function send(content: BatchRequestContent): Promise<BatchResponseContent> {
  return new BatchResponseContent(await client.api("/$batch").post(await content.getContent()));
}

describe("$batch with the Graph SDK", () => {
  it("runs reads, a create and its dependant, and reports a 404 by id", async () => {
    const user = (emu.snapshot()["users"] as { id: string; displayName: string }[])[0];
    assert.ok(user);
    // The SDK accepts parallel, serial or "all depend on the first" batches: this is the last kind.
    const content = new BatchRequestContent([
      step("create", "/groups", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({
          displayName: "Batch made",
          mailEnabled: false,
          mailNickname: "batchmade",
          securityEnabled: true,
        }),
      }),
      step("user", `/users/${user.id}?$select=displayName`, {}, ["create"]),
      step("org", "/organization", {}, ["create"]),
      step("missing", "/users/00000000-0000-0000-0000-000000000404", {}, ["create"]),
      step("list", "/groups?$filter=displayName eq 'Batch made'&$select=id", {}, ["create"]),
    ]);
    const responses = await send(content);
    const user1 = responses.getResponseById("user");
    assert.equal(user1.status, 200);
    assert.deepEqual(((await user1.json()) as Record<string, unknown>)["displayName"], user.displayName);
    assert.equal(responses.getResponseById("org").status, 200);
    const missing = responses.getResponseById("missing");
    assert.equal(missing.status, 404);
    assert.equal(
      ((await missing.json()) as { error: { code: string } }).error.code,
      "Request_ResourceNotFound",
    );
    const created = responses.getResponseById("create");
    assert.equal(created.status, 201);
    const id = ((await created.json()) as { id: string }).id;
    const listed = (await responses.getResponseById("list").json()) as { value: { id: string }[] };
    assert.deepEqual(
      listed.value.map((g) => g.id),
      [id],
    );
  });

  it("throttles inner requests individually, each 429 carrying its own Retry-After", async () => {
    emu.setFaults({ throttle: { readBudget: 12 } });
    try {
      const users = (emu.snapshot()["users"] as { id: string }[]).slice(0, 20);
      const responses = await send(
        new BatchRequestContent(users.map((u, i) => step(String(i), `/users/${u.id}`))),
      );
      const all = [...responses.getResponses().values()];
      const throttled = all.filter((r) => r.status === 429);
      assert.ok(
        throttled.length > 0 && throttled.length < all.length,
        `throttled ${throttled.length} of ${all.length}`,
      );
      for (const r of throttled) assert.ok(Number(r.headers.get("Retry-After")) > 0);
    } finally {
      emu.setFaults({ throttle: false });
    }
  });
});
