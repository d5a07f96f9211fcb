/**
 * Baselines: what a full load finds the first time it covers something is the state triggers start
 * from, not a change. Not one baseline for the store but one per scope — an object kind (`user`) or a
 * relation (`group:member`) — because scopes start being synced at different times: `watch --kinds
 * users` then every kind loads groups, apps and roles for the first time, and the users stream again
 * with licences; none of that may fire as created/assigned.
 *
 * A scope's baseline is an outbox position, kept as an outbox consumer (`baseline:<scope>`, durable,
 * only ever moving forward): the first seq that can be a change of that scope. It is recorded once
 * the scope's load is complete and before the next sync that could change it, as the outbox head
 * then; until it is recorded every change of the scope belongs to its load. `runWatch` records them
 * before its first sync and after each one, so with its own sync they are exact; tailing a store that
 * another process syncs, they are recorded at the next look (each interval).
 */
import type { ChangeEvent, RunStatus, Store } from "../store/types.ts";
import { consumerName } from "./subscriptions.ts";
import type { Subscription } from "./types.ts";

/** What a change is about, for baselines: its object kind, or its relation for a relationship change. */
export function scopeOf(change: ChangeEvent): string {
  return change.type === "added" || change.type === "removed" ? String(change.data["relation"]) : change.kind;
}

const baselineConsumer = (scope: string) => `baseline:${scope}`;
/** Set once a store keeps baselines: tells a store written before them (see `recordBaselines`). */
const LEDGER = "baselines";
const ENDED: ReadonlySet<RunStatus> = new Set(["succeeded", "failed", "cancelled"]);
/** Runs looked at for the snapshot streams' first complete read (every run has one while they are synced). */
const RECENT_RUNS = 20;

/**
 * The scopes whose first full load is complete: delta-tracked streams from their checkpoints (a
 * checkpoint in the delta phase follows a complete load; its fingerprint says which relations the
 * load covered), snapshot streams (read whole every run) from a finished run in which they did not
 * fail. A run that did not end by itself (running: another process's, or killed and not noticed yet;
 * interrupted: killed) proves nothing.
 */
export async function loadedScopes(store: Store): Promise<Set<string>> {
  const scopes = new Set<string>();
  for (const c of await store.sync.checkpoints()) {
    const select = c.data["select"];
    if (c.data["phase"] !== "delta" || typeof select !== "string") continue;
    // The fingerprints are the streams' own (users.ts, groups.ts, apps.ts): what they add to `$select`.
    if (c.stream === "users") {
      scopes.add("user");
      if (select.includes(";licences")) scopes.add("license:assigned");
    } else if (c.stream === "groups") {
      scopes.add("group");
      if (select.includes(";members=true")) scopes.add("group:member");
      if (select.includes(";owners=true")) scopes.add("group:owner");
    } else if (c.stream === "apps") {
      scopes.add("app").add("app:assigned");
      if (select.includes(";owners=true")) scopes.add("app:owner");
    }
  }
  for (const run of await store.runs.list({ limit: RECENT_RUNS })) {
    if (!ENDED.has(run.status)) continue;
    const ok = (stream: string) => run.stats[stream] !== undefined && run.stats[stream].errors === 0;
    // Eligibility a tenant without P2 cannot read is then recorded as loaded (and empty).
    if (ok("roles")) scopes.add("role").add("role:assigned").add("role:eligible");
    if (ok("licenses")) scopes.add("license");
  }
  return scopes;
}

/**
 * Records the baseline of every scope loaded since the last call. Call it between syncs (and before
 * the first): then no change of a scope can have been committed after its load and before this.
 */
export async function recordBaselines(store: Store): Promise<void> {
  const missing: string[] = [];
  for (const scope of await loadedScopes(store)) {
    if ((await store.outbox.position(baselineConsumer(scope))) === 0) missing.push(scope);
  }
  const kept = (await store.outbox.position(LEDGER)) > 0;
  if (missing.length > 0) {
    const head = await store.outbox.head();
    // A store written before baselines were kept: its subscriptions skipped the first sync's events
    // already, and what they have not taken yet must still go out.
    const at = kept ? head : Math.min(head, ...(await pendingPositions(store)));
    for (const scope of missing) await store.outbox.commit(baselineConsumer(scope), at + 1);
  }
  if (!kept) await store.outbox.commit(LEDGER, 1);
}

async function pendingPositions(store: Store): Promise<number[]> {
  const out: number[] = [];
  for (const record of await store.subscriptions.list()) {
    const s = record.data as unknown as Subscription;
    if (s.initialized && !s.emitInitial) out.push(await store.outbox.position(consumerName(s.id)));
  }
  return out;
}

/** Which changes belong to a scope's first load, as recorded so far. */
export class Baselines {
  /** First live seq per scope; once recorded it never changes, so it is kept. */
  readonly #first = new Map<string, number>();

  /**
   * Looks up the scopes of `changes` not recorded yet. Call it after reading the changes: a scope
   * recorded later has a first live seq above them all, so they are its load's either way.
   */
  async update(store: Store, changes: readonly ChangeEvent[]): Promise<void> {
    for (const scope of new Set(changes.map(scopeOf))) {
      if (this.#first.has(scope)) continue;
      const first = await store.outbox.position(baselineConsumer(scope));
      if (first > 0) this.#first.set(scope, first);
    }
  }

  /** Whether the change is part of its scope's first load (false only once `update` has seen it recorded). */
  initial(change: ChangeEvent): boolean {
    const first = this.#first.get(scopeOf(change));
    return first === undefined || change.seq < first;
  }
}
