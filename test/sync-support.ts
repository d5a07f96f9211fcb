/**
 * Test kit for sync: an emulator in-process on port 0, a store in a temp folder, a connection to the
 * emulator as any user would configure it, and the comparison of the store's exports with the
 * emulator's own snapshot — the definition of "exact".
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PERMISSION_PRESETS, startEmulator } from "@entra-connector/graph-emulator";
import { GROUP_PROPERTIES } from "../src/directory/groups.ts";
import { normalise } from "../src/directory/properties.ts";
import { APP_PROPERTIES } from "../src/directory/service-principals.ts";
import { USER_PROPERTIES } from "../src/directory/users.ts";
import {
  createConnection,
  loadConfig,
  parseKinds,
  runSync,
  type SyncObserver,
  type SyncSummary,
} from "../src/index.ts";
import { openStore } from "../src/store/index.ts";
import { dropTestSchema, testPostgresUrl, testSchema } from "../src/store/test-support.ts";
import type { ExportKind, Store } from "../src/store/types.ts";

export type Emulator = Awaited<ReturnType<typeof startEmulator>>;
type Obj = Record<string, unknown>;

export interface SyncRunOptions {
  full?: boolean;
  skipAdGroups?: boolean;
  kinds?: string;
  signal?: AbortSignal;
  observer?: SyncObserver;
  /** SyncOptions.partitionUsersFrom: list users in partitions from this many. */
  partitionUsersFrom?: number;
  /** SyncOptions.concurrency: `$batch` calls in flight per stream. */
  concurrency?: number;
}

export interface Harness {
  emu: Emulator;
  store: Store;
  dir: string;
  env: NodeJS.ProcessEnv;
  sync(options?: SyncRunOptions): Promise<SyncSummary>;
  close(): Promise<void>;
}

/** The read budget Graph gives a tenant of this emulated size (< 50 users: small; > 500: large). */
export function tenantSizeOf(size: string | undefined): "small" | "large" {
  return size === undefined || size === "s" ? "small" : "large";
}

export function emulatorEnv(emu: Emulator, storePath: string, size?: string): NodeJS.ProcessEnv {
  return {
    ENTRA_TENANT_ID: emu.tenantId,
    ENTRA_CLIENT_ID: emu.clientId,
    ENTRA_CLIENT_SECRET: emu.clientSecret,
    ENTRA_AUTHORITY_HOST: emu.authorityHost,
    ENTRA_GRAPH_URL: emu.graphRoot,
    ENTRA_CA_FILE: emu.caFile,
    ENTRA_STORE: storePath,
    ENTRA_TENANT_SIZE: tenantSizeOf(size),
    ENTRA_LOG_LEVEL: "silent",
  };
}

/** The store adapters a sync scenario runs against: a SQLite file, or a new schema on the test server. */
export const STORE_KINDS = ["sqlite", "postgres"] as const;
export type StoreKind = (typeof STORE_KINDS)[number];

export async function startHarness(
  options: NonNullable<Parameters<typeof startEmulator>[0]>,
  storeKind: StoreKind = "sqlite",
): Promise<Harness> {
  const emu = await startEmulator({ port: 0, latency: "none", throttle: false, faultRate: 0, ...options });
  const dir = mkdtempSync(join(tmpdir(), "entra-sync-"));
  const schema = storeKind === "postgres" ? testSchema("sync-harness") : undefined;
  const env = emulatorEnv(emu, schema ? testPostgresUrl(schema) : join(dir, "store.db"), options.size);
  const store = await openStore(env["ENTRA_STORE"] as string);
  return {
    emu,
    store,
    dir,
    env,
    // A connection per run, as each CLI run has: permissions changed at run time reach a new token.
    async sync(o = {}) {
      const connection = createConnection(loadConfig({ env }), { env, persistTokens: false });
      try {
        return await runSync({
          client: connection.graph,
          store,
          tenantId: emu.tenantId,
          tenantSize: tenantSizeOf(options.size),
          options: {
            kinds: parseKinds(o.kinds),
            full: o.full === true,
            skipAdGroups: o.skipAdGroups === true,
            ...(o.partitionUsersFrom !== undefined ? { partitionUsersFrom: o.partitionUsersFrom } : {}),
            ...(o.concurrency !== undefined ? { concurrency: o.concurrency } : {}),
          },
          ...(o.signal ? { signal: o.signal } : {}),
          ...(o.observer ? { observer: o.observer } : {}),
        });
      } finally {
        await connection.close();
      }
    },
    async close() {
      await store.close();
      await emu.close();
      rmSync(dir, { recursive: true, force: true });
      if (schema) await dropTestSchema(schema);
    },
  };
}

function unique(rows: Obj[]): Obj[] {
  const seen = new Set<string>();
  return rows.filter((r) => {
    const key = JSON.stringify(r);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export async function exportOf(store: Store, kind: ExportKind): Promise<Obj[]> {
  const rows: Obj[] = [];
  for await (const row of store.query.export(kind)) rows.push(row);
  return rows;
}

const byKey =
  (...keys: string[]) =>
  (a: Obj, b: Obj) => {
    for (const k of keys) {
      const x = String(a[k]);
      const y = String(b[k]);
      if (x !== y) return x < y ? -1 : 1;
    }
    return 0;
  };

/** What the store must hold, computed from the emulator's snapshot in the export shapes. */
export function expectedFromSnapshot(
  snapshot: Obj,
  options: { skipAdGroups?: boolean } = {},
): Record<string, Obj[]> {
  const users = snapshot["users"] as Obj[];
  const groups = (snapshot["groups"] as Obj[]).filter(
    (g) => !(options.skipAdGroups && g["onPremisesSyncEnabled"] === true),
  );
  const sps = snapshot["servicePrincipals"] as Obj[];
  const typeOf = new Map<string, string>();
  for (const u of users) typeOf.set(String(u["id"]), "user");
  for (const g of snapshot["groups"] as Obj[]) typeOf.set(String(g["id"]), "group");
  for (const s of sps) typeOf.set(String(s["id"]), "servicePrincipal");
  const ids = (v: unknown) =>
    Array.isArray(v) ? v.map((x) => (typeof x === "string" ? x : String((x as Obj)["id"]))) : [];
  const deleted = (type: string) =>
    ((snapshot["deletedItems"] as Obj[] | undefined) ?? []).filter((o) => o["@odata.type"] === type);
  // The snapshot names each user's manager by id; a user in deleted items has none (deleting it cut the link).
  const user = (u: Obj) => ({ ...normalise(u, USER_PROPERTIES), managerId: u["manager"] ?? null });
  return {
    users: users.map(user).sort(byKey("id")),
    groups: groups.map((g) => normalise(g, GROUP_PROPERTIES)).sort(byKey("id")),
    apps: sps.map((s) => normalise(s, APP_PROPERTIES)).sort(byKey("id")),
    "deleted-users": deleted("#microsoft.graph.user").map(user).sort(byKey("id")),
    "deleted-groups": deleted("#microsoft.graph.group")
      .filter((g) => !(options.skipAdGroups && g["onPremisesSyncEnabled"] === true))
      .map((g) => normalise(g, GROUP_PROPERTIES))
      .sort(byKey("id")),
    roles: (snapshot["roleDefinitions"] as Obj[])
      .map((r) => ({
        id: r["id"],
        displayName: r["displayName"] ?? null,
        description: r["description"] ?? null,
        templateId: r["templateId"] ?? null,
        isBuiltIn: r["isBuiltIn"] ?? null,
        isEnabled: r["isEnabled"] ?? null,
      }))
      .sort(byKey("id")),
    licenses: (snapshot["subscribedSkus"] as Obj[]).map(seats).sort(byKey("id")),
    "app-owners": sps
      .flatMap((s) => ids(s["owners"]).map((o) => ({ appId: s["id"], ownerId: o })))
      .sort(byKey("appId", "ownerId")),
    memberships: groups
      .flatMap((g) =>
        ids(g["members"]).map((m) => ({
          groupId: g["id"],
          memberId: m,
          memberType: typeOf.get(m) ?? "unknown",
        })),
      )
      .sort(byKey("groupId", "memberId")),
    owners: groups
      .flatMap((g) => ids(g["owners"]).map((o) => ({ groupId: g["id"], ownerId: o })))
      .sort(byKey("groupId", "ownerId")),
    "app-assignments": sps
      .flatMap((s) =>
        ((s["appRoleAssignedTo"] as Obj[] | undefined) ?? []).map((a) => ({
          appId: s["id"],
          principalId: a["principalId"],
          appRoleId: a["appRoleId"],
        })),
      )
      .sort(byKey("appId", "principalId", "appRoleId")),
    "role-assignments": [
      ...(snapshot["roleAssignments"] as Obj[]).map((r) => ({
        roleDefinitionId: r["roleDefinitionId"],
        principalId: r["principalId"],
        kind: "active",
      })),
      ...((snapshot["roleEligibilitySchedules"] as Obj[] | undefined) ?? []).map((r) => ({
        roleDefinitionId: r["roleDefinitionId"],
        principalId: r["principalId"],
        kind: "eligible",
      })),
    ].sort(byKey("roleDefinitionId", "principalId", "kind")),
    "license-assignments": users
      .flatMap((u) =>
        ((u["assignedLicenses"] as Obj[] | undefined) ?? []).map((l) => ({
          userId: u["id"],
          skuId: l["skuId"],
        })),
      )
      .sort(byKey("userId", "skuId")),
  };
}

/** A subscribed SKU as the licences export and the snapshot both hold it: the seat counts and what names them. */
function seats(sku: Obj): Obj {
  return {
    id: sku["skuId"],
    skuPartNumber: sku["skuPartNumber"],
    capabilityStatus: sku["capabilityStatus"],
    prepaidUnits: sku["prepaidUnits"],
    consumedUnits: sku["consumedUnits"],
  };
}

const SORT_KEYS: Record<ExportKind, string[]> = {
  users: ["id"],
  groups: ["id"],
  apps: ["id"],
  roles: ["id"],
  licenses: ["id"],
  memberships: ["groupId", "memberId"],
  owners: ["groupId", "ownerId"],
  "app-assignments": ["appId", "principalId", "appRoleId"],
  "role-assignments": ["roleDefinitionId", "principalId", "kind"],
  "license-assignments": ["userId", "skuId"],
};

/** Every export kind: all ten are compared. */
export const COMPARED = Object.keys(SORT_KEYS) as ExportKind[];
const OBJECT_EXPORTS = new Set<ExportKind>(["users", "groups", "apps", "roles", "licenses"]);

/** Soft-deleted objects the store keeps (restorable tombstones): everything held, less what is live. */
async function tombstones(store: Store, kind: "user" | "group"): Promise<Obj[]> {
  const live = new Set<string>();
  for await (const r of store.query.resources({ kind })) live.add(r.id);
  const out: Obj[] = [];
  for await (const r of store.query.resources({ kind, includeDeleted: true })) {
    if (!live.has(r.id)) out.push(r.data);
  }
  return out.sort(byKey("id"));
}

/** App owners, which no export carries: the direct `app:owner` grants on each synced app. */
async function appOwners(store: Store): Promise<Obj[]> {
  const out: Obj[] = [];
  for await (const app of store.query.resources({ kind: "app" })) {
    for (const g of await store.query.grants({ objectId: app.id })) {
      if (g.relation === "app:owner" && g.path.how === "direct")
        out.push({ appId: app.id, ownerId: g.principalId });
    }
  }
  return out.sort(byKey("appId", "ownerId"));
}

/**
 * Every export, plus what no export carries (app owners, deleted items), store vs snapshot, both
 * sorted the same way. Users carry their manager's id.
 */
export async function comparison(
  store: Store,
  snapshot: Obj,
  options: { skipAdGroups?: boolean } = {},
): Promise<Record<string, { actual: Obj[]; expected: Obj[] }>> {
  const expected = expectedFromSnapshot(snapshot, options);
  const out: Record<string, { actual: Obj[]; expected: Obj[] }> = {};
  for (const kind of COMPARED) {
    // Relationship exports name each relationship once (Graph may hold two schedules for one role and principal).
    if (!OBJECT_EXPORTS.has(kind)) expected[kind] = unique(expected[kind] ?? []);
    let actual = (await exportOf(store, kind)).sort(byKey(...SORT_KEYS[kind]));
    // A stored SKU keeps Graph's skuId too (its id is the skuId, as assignments name it).
    if (kind === "licenses") actual = actual.map(seats);
    out[kind] = { actual, expected: expected[kind] ?? [] };
  }
  out["app-owners"] = { actual: await appOwners(store), expected: expected["app-owners"] ?? [] };
  out["deleted-users"] = {
    actual: await tombstones(store, "user"),
    expected: expected["deleted-users"] ?? [],
  };
  out["deleted-groups"] = {
    actual: await tombstones(store, "group"),
    expected: expected["deleted-groups"] ?? [],
  };
  return out;
}

/** Objects and relationships the outbox reports created (or added) more than once, with their counts. */
export async function duplicateCreations(store: Store): Promise<[string, number][]> {
  const seen = new Map<string, number>();
  for (const e of await store.outbox.read({ limit: 10_000_000 })) {
    if (e.type !== "created" && e.type !== "added") continue;
    const key = `${e.type}:${e.kind}:${e.resourceId}:${String(e.data["relation"])}:${String(e.data["principalId"])}:${String(e.data["qualifier"])}`;
    seen.set(key, (seen.get(key) ?? 0) + 1);
  }
  return [...seen].filter(([, n]) => n > 1);
}

/** Fails unless every kind the store exports equals the emulator's snapshot. */
export async function assertExact(h: Harness, label: string): Promise<void> {
  const compared = await comparison(h.store, (await h.emu.snapshot()) as Record<string, unknown>);
  for (const [kind, { actual, expected }] of Object.entries(compared)) {
    assert.deepEqual(actual, expected, `${label}: ${kind} differ from the emulator's snapshot`);
  }
}

/**
 * A tenant whose users take three list pages and little else: with `partitionUsersFrom: 1000` its
 * full loads list users in partitions.
 */
export const PARTITIONED = {
  users: 2_500,
  groups: 20,
  apps: 5,
  skus: 4,
  membershipsPerUser: 1,
  assignmentsPerUser: 0.1,
};

/** The emulator's "write" permissions less AuditLog.Read.All: app assignments must come from re-listing. */
export const WRITE_WITHOUT_AUDIT = PERMISSION_PRESETS.write.filter((p) => p !== "AuditLog.Read.All");
