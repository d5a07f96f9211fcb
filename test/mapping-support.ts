/**
 * Test kit for mapping runs: the emulator's tenant with the groups the documented example names
 * (Finance, and IT Support with a nested group), synced into a store; the SCIM test service as the
 * target; and what the target must hold, computed from the emulator's own model.
 */
import { randomUUID } from "node:crypto";
import { parseMapping } from "../src/mapping/index.ts";
import { EXAMPLE } from "../src/mapping/test-support.ts";
import type { ScimServer, Stored } from "./support/scim-server.ts";
import type { Harness } from "./sync-support.ts";

type Obj = Record<string, unknown>;

export interface ExampleTenant {
  finance: string;
  itSupport: string;
  helpdesk: string;
}

/**
 * Gives the emulator tenant's Finance `finance` users (default 6) and IT Support 2 users and the nested
 * IT Helpdesk (added, with 3), in place of the members the generator gave them.
 */
export function addExampleGroups(harness: Harness, finance = 6): ExampleTenant {
  const tenant = harness.emu.tenant;
  const members = tenant
    .list("user")
    .filter(
      (u) =>
        u["userType"] === "Member" && u["onPremisesSyncEnabled"] !== true && u["accountEnabled"] === true,
    );
  const group = (displayName: string) =>
    tenant.insert("group", {
      id: randomUUID(),
      displayName,
      groupTypes: [],
      mailEnabled: false,
      mailNickname: displayName.replace(/\W/g, ""),
      securityEnabled: true,
    }).id;
  const named = (displayName: string) => {
    const found = tenant.list("group").find((g) => g["displayName"] === displayName);
    if (!found) throw new Error(`the emulator's tenant has no group ${displayName}`);
    for (const member of [...tenant.membersOf(found.id)]) tenant.removeMember(found.id, member);
    return found.id;
  };
  const ids = { finance: named("Finance"), itSupport: named("IT Support"), helpdesk: group("IT Helpdesk") };
  for (const u of members.slice(0, finance)) tenant.addMember(ids.finance, u.id);
  for (const u of members.slice(finance, finance + 2)) tenant.addMember(ids.itSupport, u.id);
  for (const u of members.slice(finance + 2, finance + 5)) tenant.addMember(ids.helpdesk, u.id);
  tenant.addMember(ids.itSupport, ids.helpdesk);
  return ids;
}

/** The documented example pointed at `scim`; `edit` changes its text (another key, a threshold). */
export function exampleMapping(scim: ScimServer, edit: (text: string) => string = (t) => t) {
  const text = edit(EXAMPLE.replace("http://127.0.0.1:8080/scim/v2", scim.url));
  return parseMapping(text, "assets.yaml", { env: { ASSETS_SCIM_TOKEN: scim.token } });
}

/** The example's attributes for one emulator user, as a create writes them (null values left out). */
export function mapped(user: Obj): Obj {
  const name: Obj = {};
  if (user["givenName"] != null) name["givenName"] = user["givenName"];
  if (user["surname"] != null) name["familyName"] = user["surname"];
  const out: Obj = {
    userName: String(user["mail"] ?? user["userPrincipalName"]).toLowerCase(),
    displayName: user["displayName"],
    active: user["accountEnabled"],
    externalId: user["id"],
  };
  if (Object.keys(name).length > 0) out["name"] = name;
  return out;
}

/** In-scope, enabled users of the example, mapped, by externalId. */
export function expectedActive(harness: Harness, groups: ExampleTenant): Map<string, Obj> {
  const tenant = harness.emu.tenant;
  const out = new Map<string, Obj>();
  for (const groupId of [groups.finance, groups.itSupport]) {
    for (const id of tenant.transitiveMembersOf(groupId)) {
      const user = tenant.get("user", id);
      if (user && user["accountEnabled"] === true) out.set(id, mapped(user));
    }
  }
  return out;
}

/** The target's records without the service's own fields, by externalId. */
export function targetRecords(scim: ScimServer): Map<string, Obj> {
  const out = new Map<string, Obj>();
  for (const user of scim.users.values()) {
    const { id: _id, meta: _meta, ...rest } = user as Stored & { meta?: unknown };
    out.set(String(rest["externalId"]), rest);
  }
  return out;
}

/** The target's active records: what must equal `expectedActive`. */
export function activeRecords(scim: ScimServer): Map<string, Obj> {
  return new Map([...targetRecords(scim)].filter(([, r]) => r["active"] === true));
}

/** userNames the target holds more than once (must be none). */
export function duplicates(scim: ScimServer): string[] {
  const seen = new Map<string, number>();
  for (const u of scim.users.values()) {
    const key = u.userName.toLowerCase();
    seen.set(key, (seen.get(key) ?? 0) + 1);
  }
  return [...seen].filter(([, n]) => n > 1).map(([k]) => k);
}

export function sorted(map: Map<string, Obj>): [string, Obj][] {
  return [...map].sort(([a], [b]) => a.localeCompare(b));
}
