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

/** The event a mutation must cause (`deletedIds`: what sits in deleted items afterwards). */
export function expectedEvent(r: MutationRecord, deletedIds: Set<string>): Expected {
  const subject = { resourceId: r.id };
  switch (r.op) {
    case "createUser":
    case "restoreUser":
      return { type: "user.created", ...subject };
    case "updateUser":
      return { type: "user.updated", ...subject };
    case "enableUser":
      return { type: "user.enabled", ...subject };
    case "disableUser":
      return { type: "user.disabled", ...subject };
    case "deleteUser":
      return { type: "user.deleted", ...subject, deletion: "soft" };
    case "addMember":
      return { type: "group.member.added", ...subject, principalId: r.ref as string };
    case "removeMember":
      return { type: "group.member.removed", ...subject, principalId: r.ref as string };
    case "addOwner":
      return { type: "group.owner.added", ...subject, principalId: r.ref as string };
    case "removeOwner":
      return { type: "group.owner.removed", ...subject, principalId: r.ref as string };
    case "createGroup":
      return { type: "group.created", ...subject };
    case "updateGroup":
      return { type: "group.updated", ...subject };
    case "deleteGroup":
      return { type: "group.deleted", ...subject, deletion: deletedIds.has(r.id) ? "soft" : "permanent" };
    case "purgeUser":
      return { type: "user.deleted", ...subject, deletion: "permanent" };
    case "purgeGroup":
      return { type: "group.deleted", ...subject, deletion: "permanent" };
    case "assignLicense":
      return { type: "user.license.assigned", resourceId: r.id, principalId: r.id };
    case "removeLicense":
      return { type: "user.license.removed", resourceId: r.id, principalId: r.id };
    case "addRoleAssignment":
    case "addRoleEligibility":
      return { type: "role.assigned", resourceId: r.ref as string };
    case "removeRoleAssignment":
    case "removeRoleEligibility":
      return { type: "role.removed", resourceId: r.ref as string };
    case "addAppRoleAssignment":
      return { type: "app.assigned", resourceId: r.id, principalId: r.ref as string };
    case "removeAppRoleAssignment":
      return { type: "app.removed", resourceId: r.id, principalId: r.ref as string };
    default:
      throw new Error(`no expectation for mutation ${r.op}`);
  }
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
