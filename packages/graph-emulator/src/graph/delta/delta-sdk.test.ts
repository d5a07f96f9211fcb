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

type Item = Record<string, unknown> & { id: string };
type Page = { value: Item[]; "@odata.nextLink"?: string; "@odata.deltaLink"?: string };

interface Replica {
  objects: Map<string, Item>;
  members: Map<string, Set<string>>;
}

/** `minimal`: answers carry only changed properties, so they merge into what the replica holds. */
function apply(replica: Replica, items: Item[], minimal = false): void {
  for (const item of items) {
    if (item["@removed"]) {
      replica.objects.delete(item.id);
      replica.members.delete(item.id);
      continue;
    }
    const { "members@delta": delta, ...props } = item;
    // A group split across pages repeats with only its id and the next slice of members.
    const previous = replica.objects.get(item.id);
    if (minimal && previous) replica.objects.set(item.id, { ...previous, ...props } as Item);
    else if (Object.keys(props).length > 1 || !previous) replica.objects.set(item.id, props as Item);
    const set = replica.members.get(item.id) ?? new Set<string>();
    replica.members.set(item.id, set);
    for (const ref of (delta as Item[] | undefined) ?? []) {
      if (ref["@removed"]) set.delete(ref.id);
      else set.add(ref.id);
    }
  }
}

/** One round with the SDK; `during` runs after the first page (a change landing mid-round). */
async function sdkRound(
  replica: Replica,
  start: string,
  during?: () => void,
): Promise<{ link: string; pages: number }> {
  let url = start;
  for (let pages = 1; ; pages++) {
    const page = (await client.api(url).get()) as Page;
    apply(replica, page.value);
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
    const page = (await response.json()) as Page;
    apply(replica, page.value, headers["Prefer"] === "return=minimal");
    if (page["@odata.deltaLink"]) return page["@odata.deltaLink"];
    url = page["@odata.nextLink"] as string;
  }
}

const snapshotUsers = () =>
  (emu.snapshot()["users"] as Item[]).map((u) => [u.id, u["displayName"], u["accountEnabled"]]);
const snapshotGroups = () => emu.snapshot()["groups"] as (Item & { members: string[] })[];

describe("delta across mutations", () => {
  it("keeps a users replica exact through the Graph SDK, with a change landing mid-round", async () => {
    const replica: Replica = { objects: new Map(), members: new Map() };
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
    const quiet = (await client.api(link).get()) as Page;
    assert.deepEqual(quiet.value, []);
    assert.ok(quiet["@odata.deltaLink"]);
  });

  it("keeps group memberships exact with plain fetch and Prefer: return=minimal", async () => {
    const replica: Replica = { objects: new Map(), members: new Map() };
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
    const replica: Replica = { objects: new Map(), members: new Map() };
    const { link } = await sdkRound(replica, "/servicePrincipals/delta?$select=displayName");
    emu.setFaults({ expireDeltaTokens: true });
    const response = await fetch(link, { headers: { Authorization: `Bearer ${token}` } });
    assert.equal(response.status, 410);
    const body = (await response.json()) as { error: { code: string } };
    assert.equal(body.error.code, "resyncRequired");
    const restart = response.headers.get("location") as string;
    const fresh: Replica = { objects: new Map(), members: new Map() };
    await fetchRound(fresh, restart);
    assert.equal(fresh.objects.size, (emu.snapshot()["servicePrincipals"] as unknown[]).length);
  });
});
