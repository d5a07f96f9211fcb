/**
 * Delta over a real socket: Microsoft's Graph JS client (customHosts) and plain fetch follow nextLinks
 * and deltaLinks across rounds while the tenant is mutated — between rounds and in the middle of one —
 * and the replica they build must equal the tenant's snapshot.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Client } from "@microsoft/microsoft-graph-client";
import { type Emulator, startEmulator } from "../../index.ts";
import { sdkClient } from "../sdk-test-client.ts";
import { applyDelta, type DeltaItem, type DeltaPage, newReplica, type Replica } from "./test-replica.ts";

let emu: Emulator;
let token: string;
let client: Client;

before(async () => {
  emu = await startEmulator({
    size: "s",
    seed: 5,
    counts: { users: 450, groups: 30, membershipsPerUser: 4 },
  });
  ({ client, token } = await sdkClient(emu));
});
after(() => emu.close());

/** One round with the SDK; `during` runs after the first page (a change landing mid-round). */
async function sdkRound(
  replica: Replica,
  start: string,
  during?: () => void,
): Promise<{ link: string; pages: number }> {
  let url = start;
  for (let pages = 1; ; pages++) {
    const page = (await client.api(url).get()) as DeltaPage;
    applyDelta(replica, page.value);
    if (page["@odata.deltaLink"]) return { link: page["@odata.deltaLink"], pages };
    assert.ok(page["@odata.nextLink"], "every page carries a nextLink or a deltaLink");
    if (pages === 1) during?.();
    url = page["@odata.nextLink"];
  }
}

async function fetchRound(
  replica: Replica,
  start: string,
  headers: Record<string, string> = {},
): Promise<string> {
  let url = start;
  for (;;) {
    const response = await fetch(url, { headers: { Authorization: `Bearer ${token}`, ...headers } });
    assert.equal(response.status, 200);
    const page = (await response.json()) as DeltaPage;
    applyDelta(replica, page.value, headers["Prefer"] === "return=minimal");
    if (page["@odata.deltaLink"]) return page["@odata.deltaLink"];
    url = page["@odata.nextLink"] as string;
  }
}

const snapshotUsers = () =>
  (emu.snapshot()["users"] as DeltaItem[]).map((u) => [u.id, u["displayName"], u["accountEnabled"]]);
const snapshotGroups = () => emu.snapshot()["groups"] as (DeltaItem & { members: string[] })[];

describe("delta across mutations", () => {
  it("keeps a users replica exact through the Graph SDK, with a change landing mid-round", async () => {
    const replica: Replica = newReplica();
    let seed = 100;
    const first = await sdkRound(replica, "/users/delta?$select=displayName,accountEnabled", () =>
      emu.mutate({ count: 25, seed: seed++ }),
    );
    assert.ok(first.pages >= 3, `450 users take several pages (got ${first.pages})`);
    let link = first.link;
    for (let round = 0; round < 4; round++) {
      emu.mutate({ count: 40, seed: seed++ });
      link = (await sdkRound(replica, link, () => emu.mutate({ count: 5, seed: seed++ }))).link;
    }
    link = (await sdkRound(replica, link)).link;
    const got = [...replica.objects.values()].map((u) => [
      u.id,
      u["displayName"],
      u["accountEnabled"] ?? false,
    ]);
    const sort = (rows: unknown[][]) => rows.map((r) => JSON.stringify(r)).sort();
    assert.deepEqual(
      sort(got),
      sort(snapshotUsers().map(([id, name, enabled]) => [id, name, enabled ?? false])),
    );
    const quiet = (await client.api(link).get()) as DeltaPage;
    assert.deepEqual(quiet.value, []);
    assert.ok(quiet["@odata.deltaLink"]);
  });

  it("keeps group memberships exact with plain fetch and Prefer: return=minimal", async () => {
    const replica: Replica = newReplica();
    let link = await fetchRound(replica, `${emu.graphBaseUrl}/groups/delta?$select=displayName,members`);
    for (let round = 0; round < 3; round++) {
      emu.mutate({ count: 40, seed: 500 + round });
      link = await fetchRound(replica, link, { Prefer: "return=minimal" });
    }
    const groups = snapshotGroups();
    assert.deepEqual([...replica.objects.keys()].sort(), groups.map((g) => g.id).sort());
    for (const group of groups) {
      assert.deepEqual(
        [...(replica.members.get(group.id) ?? [])].sort(),
        [...group.members].sort(),
        group.id,
      );
      assert.equal(replica.objects.get(group.id)?.["displayName"], group["displayName"]);
    }
  });

  it("answers an expired token with 410 resyncRequired and a Location that restarts the round", async () => {
    const replica: Replica = newReplica();
    const { link } = await sdkRound(replica, "/servicePrincipals/delta?$select=displayName");
    emu.setFaults({ expireDeltaTokens: true });
    const response = await fetch(link, { headers: { Authorization: `Bearer ${token}` } });
    assert.equal(response.status, 410);
    const body = (await response.json()) as { error: { code: string } };
    assert.equal(body.error.code, "resyncRequired");
    const restart = response.headers.get("location") as string;
    const fresh: Replica = newReplica();
    await fetchRound(fresh, restart);
    assert.equal(fresh.objects.size, (emu.snapshot()["servicePrincipals"] as unknown[]).length);
  });
});
