/**
 * Test kit for actions and provisioning against the emulator: one emulator per test file (in-process,
 * port 0, real HTTPS), a store for the audit log, a connection as a user would configure it, and
 * pickers that find fixtures of each kind in the emulator's snapshot.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before } from "node:test";
import { startEmulator } from "@entra-connector/graph-emulator";
import type { GraphClient } from "../src/graph/types.ts";
import {
  type ActionDeps,
  createConnection,
  isConnectorError,
  loadConfig,
  recentlyCreated,
} from "../src/index.ts";
import { openStore } from "../src/store/index.ts";
import type { Store } from "../src/store/types.ts";
import { emulatorEnv } from "./sync-support.ts";

export type Emulator = Awaited<ReturnType<typeof startEmulator>>;
export type Obj = { id: string } & Record<string, unknown>;
export type GroupObj = Obj & { members: string[]; owners: string[] };

export interface Snapshot {
  users: Obj[];
  groups: GroupObj[];
  servicePrincipals: (Obj & { appRoleAssignedTo: Obj[] })[];
  roleAssignments: Obj[];
  roleEligibilitySchedules: Obj[];
  subscribedSkus: Obj[];
  deletedItems: Obj[];
}

export interface ActionHarness {
  emu: Emulator;
  store: Store;
  /** Deps with writes enabled and the store's audit log; a fresh connection after `reconnect()`. */
  deps(overrides?: Partial<ActionDeps>): ActionDeps;
  /** A new connection (and so a new token): needed after the emulator's permissions change. */
  reconnect(): Promise<void>;
  snapshot(): Promise<Snapshot>;
  close(): Promise<void>;
}

export async function startActionHarness(
  options: Parameters<typeof startEmulator>[0] = {},
): Promise<ActionHarness> {
  const emu = await startEmulator({
    port: 0,
    size: "s",
    seed: 7,
    counts: { users: 60, groups: 40 },
    permissions: "write",
    latency: "none",
    throttle: false,
    faultRate: 0,
    ...options,
  });
  const dir = mkdtempSync(join(tmpdir(), "entra-actions-"));
  const env = emulatorEnv(emu, join(dir, "store.db"));
  const store = await openStore(env["ENTRA_STORE"] as string);
  const recent = recentlyCreated();
  let connection = createConnection(loadConfig({ env }), { env, persistTokens: false });
  return {
    emu,
    store,
    deps: (overrides = {}) => ({
      graph: connection.graph,
      writesEnabled: true,
      audit: store.audit,
      recent,
      replicationWaitMs: 3000,
      ...overrides,
    }),
    async reconnect() {
      await connection.close();
      connection = createConnection(loadConfig({ env }), { env, persistTokens: false });
    },
    snapshot: async () => emu.snapshot() as unknown as Snapshot,
    async close() {
      await connection.close();
      await store.close();
      await emu.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * One emulator for the whole test file: started before its tests, closed after them. The returned
 * harness may be used inside tests (not at module level, before it has started).
 */
export function fileHarness(options: Parameters<typeof startEmulator>[0] = {}): ActionHarness {
  let started: ActionHarness | undefined;
  before(async () => {
    started = await startActionHarness(options);
  });
  after(() => started?.close());
  const h = () => {
    if (!started) throw new Error("the harness starts in before(); use it inside tests");
    return started;
  };
  return {
    get emu() {
      return h().emu;
    },
    get store() {
      return h().store;
    },
    deps: (overrides) => h().deps(overrides),
    reconnect: () => h().reconnect(),
    snapshot: () => h().snapshot(),
    close: () => h().close(),
  };
}

/** Runs `fn` with the app granted only `permissions` (a fresh token), then restores "write". */
export async function withPermissions(
  h: ActionHarness,
  permissions: string | string[],
  fn: () => Promise<void>,
): Promise<void> {
  h.emu.setPermissions(permissions);
  await h.reconnect();
  try {
    await fn();
  } finally {
    h.emu.setPermissions("write");
    await h.reconnect();
  }
}

/** Runs `fn` with emulator faults on (e.g. `{ faultRate: 0.2 }`), then turns them off again. */
export async function withFaults(
  h: ActionHarness,
  faults: { faultRate?: number; replicationLagMs?: number },
  fn: () => Promise<void>,
): Promise<void> {
  h.emu.setFaults(faults);
  try {
    await fn();
  } finally {
    h.emu.setFaults({ faultRate: 0, replicationLagMs: 0 });
  }
}

/** An assert.rejects validator: a ConnectorError with this code. */
export function code(expected: string) {
  return (err: unknown) => {
    assert.ok(isConnectorError(err), String(err));
    assert.equal(err.code, expected, err.message);
    return true;
  };
}

const types = (g: Obj) => (Array.isArray(g["groupTypes"]) ? (g["groupTypes"] as string[]) : []);

/** Fixture pickers: the first object of each kind, so tests do not depend on generated names. */
export const pick = {
  cloudUser: (s: Snapshot, skip = 0) =>
    must(
      s.users.filter(
        (u) =>
          u["onPremisesSyncEnabled"] !== true &&
          u["accountEnabled"] === true &&
          u["userType"] !== "Guest" &&
          typeof u["usageLocation"] === "string",
      )[skip],
      "cloud user",
    ),
  syncedUser: (s: Snapshot) =>
    must(
      s.users.find((u) => u["onPremisesSyncEnabled"] === true),
      "synced user",
    ),
  securityGroup: (s: Snapshot, skip = 0) =>
    must(
      s.groups.filter(
        (g) =>
          g["onPremisesSyncEnabled"] !== true &&
          g["mailEnabled"] !== true &&
          g["securityEnabled"] === true &&
          types(g).length === 0,
      )[skip],
      "security group",
    ),
  syncedGroup: (s: Snapshot) =>
    must(
      s.groups.find((g) => g["onPremisesSyncEnabled"] === true),
      "synced group",
    ),
  mailEnabledGroup: (s: Snapshot) =>
    must(
      s.groups.find(
        (g) =>
          g["mailEnabled"] === true && !types(g).includes("Unified") && g["onPremisesSyncEnabled"] !== true,
      ),
      "mail-enabled security group",
    ),
  dynamicGroup: (s: Snapshot) =>
    must(
      s.groups.find((g) => types(g).includes("DynamicMembership") && g["onPremisesSyncEnabled"] !== true),
      "dynamic group",
    ),
  unifiedGroup: (s: Snapshot) =>
    must(
      s.groups.find(
        (g) =>
          types(g).includes("Unified") &&
          !types(g).includes("DynamicMembership") &&
          g["onPremisesSyncEnabled"] !== true,
      ),
      "Microsoft 365 group",
    ),
};

function must<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`the generated tenant has no ${what}`);
  return value;
}

export function byId<T extends Obj>(list: T[], id: string): T | undefined {
  return list.find((o) => o.id === id);
}

/** A password that meets Entra's complexity rule. */
export const PASSWORD = "Corr3ct-Horse-Battery";

/**
 * `graph` with its `request` replaced, to tamper with, record or interleave writes; everything else
 * is the real client's (methods are delegated: the client's live on its prototype, out of a spread).
 */
export function withRequest(graph: GraphClient, request: GraphClient["request"]): GraphClient {
  return {
    graphRoot: graph.graphRoot,
    request,
    get: (path, options) => graph.get(path, options),
    pages: (path, options) => graph.pages(path, options),
    delta: (path, options) => graph.delta(path, options),
    batch: (requests, options) => graph.batch(requests, options),
    stats: () => graph.stats(),
    close: () => graph.close(),
  };
}
