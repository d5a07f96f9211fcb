/**
 * Test kit for triggers: a subscription whose events land in an array, one watch round (sync once,
 * deliver everything) over the sync harness, and what each emulator mutation must fire.
 */
import type { MutationRecord } from "@entra-connector/graph-emulator";
import type { GraphClient } from "../src/graph/types.ts";
import {
  type ActionDeps,
  callbackSink,
  createConnection,
  defineSubscription,
  loadConfig,
  parseKinds,
  recentlyCreated,
  runSync,
  runWatch,
  type SyncObserver,
  type SyncOptions,
  type SyncSummary,
  type TriggerEvent,
} from "../src/index.ts";
import type { Store } from "../src/store/types.ts";
import type { Harness } from "./sync-support.ts";

export interface Collected {
  id: string;
  events: TriggerEvent[];
}

export const POLICY = { retry: { baseMs: 20, maxMs: 200 }, deadLetterAfterMs: 60_000 };

/**
 * One incremental sync with the given options (default: every kind, app assignments re-read every
 * run), on a connection of its own as each CLI run has.
 */
export async function syncWith(
  h: Harness,
  options: Partial<SyncOptions> = {},
  observer?: SyncObserver,
): Promise<SyncSummary> {
  const connection = createConnection(loadConfig({ env: h.env }), { env: h.env, persistTokens: false });
  try {
    return await runSync({
      client: connection.graph,
      store: h.store,
      tenantId: h.emu.tenantId,
      options: { kinds: parseKinds(undefined), full: false, skipAdGroups: false, ...options },
      ...(observer ? { observer } : {}),
    });
  } finally {
    await connection.close();
  }
}

/**
 * One sync (with `options`, e.g. the kinds `watch --kinds` would pass) and full delivery to each
 * collector; returns the events each got in this round.
 */
export async function watchRound(
  h: Harness,
  collectors: Collected[],
  during?: (stream: string) => void,
  options: Partial<SyncOptions> = {},
): Promise<TriggerEvent[][]> {
  const before = collectors.map((c) => c.events.length);
  const subscriptions = [];
  for (const c of collectors) {
    const stored = await h.store.subscriptions.get(c.id);
    subscriptions.push({ subscription: stored?.data as never, sink: callbackSink((e) => c.events.push(e)) });
  }
  await runWatch({
    store: h.store,
    sync: async (observer) => {
      const summary = await syncWith(h, options, {
        page: (stream, page) => {
          during?.(stream);
          observer.page?.(stream, page);
        },
      });
      if (summary.run.status !== "succeeded")
        throw new Error(`sync ${summary.run.status}: ${summary.run.error}`);
    },
    intervalMs: 1000,
    subscriptions,
    policy: POLICY,
    // In these tests a failed sync is a failed test, not something to retry next interval.
    report: {
      syncFailed: (err) => {
        throw err;
      },
    },
    once: true,
  });
  return collectors.map((c, i) => c.events.slice(before[i]));
}

export async function collector(
  h: Harness,
  id: string,
  options: { types?: string[]; emitInitial?: boolean } = {},
): Promise<Collected> {
  await defineSubscription(h.store, {
    id,
    types: options.types ?? ["*"],
    target: { kind: "callback" },
    emitInitial: options.emitInitial === true,
  });
  return { id, events: [] };
}

export interface Expected {
  type: string;
  resourceId: string;
  principalId?: string;
  deletion?: "soft" | "permanent";
}

type Expect = (r: MutationRecord, deletedIds: Set<string>) => Expected;

/**
 * The event each kind of change must cause, by the emulator's mutation names (`deletedIds`: what sits
 * in deleted items afterwards). Tests that claim to cover every kind check against its keys.
 */
export const EXPECTED = {
  createUser: (r) => ({ type: "user.created", resourceId: r.id }),
  restoreUser: (r) => ({ type: "user.created", resourceId: r.id }),
  updateUser: (r) => ({ type: "user.updated", resourceId: r.id }),
  enableUser: (r) => ({ type: "user.enabled", resourceId: r.id }),
  disableUser: (r) => ({ type: "user.disabled", resourceId: r.id }),
  deleteUser: (r) => ({ type: "user.deleted", resourceId: r.id, deletion: "soft" }),
  purgeUser: (r) => ({ type: "user.deleted", resourceId: r.id, deletion: "permanent" }),
  addMember: (r) => ({ type: "group.member.added", resourceId: r.id, principalId: r.ref as string }),
  removeMember: (r) => ({ type: "group.member.removed", resourceId: r.id, principalId: r.ref as string }),
  addOwner: (r) => ({ type: "group.owner.added", resourceId: r.id, principalId: r.ref as string }),
  removeOwner: (r) => ({ type: "group.owner.removed", resourceId: r.id, principalId: r.ref as string }),
  createGroup: (r) => ({ type: "group.created", resourceId: r.id }),
  updateGroup: (r) => ({ type: "group.updated", resourceId: r.id }),
  deleteGroup: (r, deleted) => ({
    type: "group.deleted",
    resourceId: r.id,
    deletion: deleted.has(r.id) ? "soft" : "permanent",
  }),
  purgeGroup: (r) => ({ type: "group.deleted", resourceId: r.id, deletion: "permanent" }),
  assignLicense: (r) => ({ type: "user.license.assigned", resourceId: r.id, principalId: r.id }),
  removeLicense: (r) => ({ type: "user.license.removed", resourceId: r.id, principalId: r.id }),
  addRoleAssignment: (r) => ({ type: "role.assigned", resourceId: r.ref as string }),
  addRoleEligibility: (r) => ({ type: "role.assigned", resourceId: r.ref as string }),
  removeRoleAssignment: (r) => ({ type: "role.removed", resourceId: r.ref as string }),
  removeRoleEligibility: (r) => ({ type: "role.removed", resourceId: r.ref as string }),
  addAppRoleAssignment: (r) => ({ type: "app.assigned", resourceId: r.id, principalId: r.ref as string }),
  removeAppRoleAssignment: (r) => ({ type: "app.removed", resourceId: r.id, principalId: r.ref as string }),
} satisfies Record<string, Expect>;

export type ChangeKind = keyof typeof EXPECTED;

/** The event a mutation must cause (`deletedIds`: what sits in deleted items afterwards). */
export function expectedEvent(r: MutationRecord, deletedIds: Set<string>): Expected {
  const expect = (EXPECTED as Record<string, Expect>)[r.op];
  if (!expect) throw new Error(`no expectation for mutation ${r.op}`);
  return expect(r, deletedIds);
}

export function matching(events: readonly TriggerEvent[], x: Expected): TriggerEvent[] {
  return events.filter(
    (e) =>
      e.type === x.type &&
      e.resource.id === x.resourceId &&
      (x.principalId === undefined ||
        e.data["principalId"] === x.principalId ||
        e.type.startsWith("user.license")) &&
      (x.deletion === undefined || e.deletion === x.deletion),
  );
}

export async function deletedIds(h: Harness): Promise<Set<string>> {
  const snap = (await h.emu.snapshot()) as { deletedItems: { id: string }[] };
  return new Set(snap.deletedItems.map((d) => d.id));
}

/**
 * What the sync engine leaves in `runId` once every stream's first load is complete: delta-phase
 * checkpoints whose fingerprints cover every relation, and a roles snapshot (src/triggers/baselines.ts
 * reads both). For tests that write pages by hand.
 */
export async function markLoaded(store: Store, runId: string): Promise<void> {
  const fingerprints = {
    users: "id;licences",
    groups: "id;members=true;owners=true;skipAd=false",
    apps: "id;owners=true",
  };
  for (const [stream, select] of Object.entries(fingerprints)) {
    const data = { phase: "delta", select, link: `https://graph.invalid/${stream}/delta` };
    await store.sync.applyPage({ runId, stream, checkpoint: { version: 1, data } });
  }
  await store.sync.applyPage({ runId, stream: "roles" });
}

/** Runs `fn` with what the actions need, writing to the emulator as the connector would. */
export async function withActions<T>(
  h: Harness,
  fn: (deps: ActionDeps & { graph: GraphClient }) => Promise<T>,
): Promise<T> {
  const connection = createConnection(loadConfig({ env: h.env }), { env: h.env, persistTokens: false });
  try {
    return await fn({
      graph: connection.graph,
      writesEnabled: true,
      audit: h.store.audit,
      recent: recentlyCreated(),
      replicationWaitMs: 3000,
    });
  } finally {
    await connection.close();
  }
}

type Obj = Record<string, unknown>;

/** A group whose membership Graph lets one change: assigned, cloud-only, not mail-enabled security. */
export function writableGroup(groups: readonly Obj[], accept: (g: Obj) => boolean = () => true): Obj {
  const group = groups.find((g) => {
    const types = g["groupTypes"] as string[];
    return (
      !types.includes("DynamicMembership") &&
      g["onPremisesSyncEnabled"] !== true &&
      (g["mailEnabled"] !== true || types.includes("Unified")) &&
      accept(g)
    );
  });
  if (!group) throw new Error("no group whose membership can be changed");
  return group;
}

/** A cloud-only user (Graph cannot write on-premises-mastered ones). */
export function cloudUser(users: readonly Obj[], accept: (u: Obj) => boolean = () => true): Obj {
  const user = users.find((u) => u["onPremisesSyncEnabled"] !== true && accept(u));
  if (!user) throw new Error("no cloud-only user");
  return user;
}
