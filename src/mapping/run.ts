/**
 * A mapping run: which users to look at (the outbox's changes since the mapping's cursor, every user in
 * scope, or one user), what the target holds for them, the plan, and the calls that carry it out.
 *
 * Crash safety: a record is looked up (by its link, else by its match keys) before it is created, and
 * each batch's log rows, links and retries are committed in one transaction with the cursor moving
 * only after the last batch. A run killed anywhere is re-run from the same cursor; what it already did
 * is found in the target (or through the links) and planned as an update or a skip, never a second create.
 */
import { type BackoffPolicy, backoffMs } from "../common/retry-after.ts";
import { createError, isConnectorError, toConnectorError } from "../errors.ts";
import type {
  ChangeEvent,
  MappingCommit,
  MappingLink,
  MappingQuarantine,
  MappingRetry,
  MappingRun,
  MappingRunKind,
  Store,
} from "../store/types.ts";
import type { Mapping } from "./definition.ts";
import { compileExpression } from "./expression/index.ts";
import { type NotifyDeps, type NotifyOutcome, notifyRunCompleted, type RunSummary } from "./notify.ts";
import { getPath, setPath } from "./path.ts";
import {
  type AttributeMapper,
  compileAttributes,
  matchKey,
  type Plan,
  type PlanAction,
  type PlanUser,
  planProvisioning,
  type TargetRecord,
} from "./plan.ts";
import { type ScopeSubject, userState } from "./scope.ts";
import { openTarget } from "./targets/open.ts";
import type { MappingTarget, MatchKey } from "./targets/target.ts";

export interface MappingRunInput {
  mapping: Mapping;
  store: Store;
  target: MappingTarget;
  /** Compare every user in scope with the target, not only those changed since the last run. */
  full?: boolean;
  /** Plan and look up, write nothing (no target writes, no store writes). */
  dryRun?: boolean;
  /** Provision this one user (object id or userPrincipalName) and report each step. */
  user?: string;
  /** Carry out disables and deletes beyond the deletion threshold. */
  allowDeletes?: boolean;
  /** Records worked on at once (the target keeps its own request limits too); default 4. */
  concurrency?: number;
  /** Records per commit; default 100. */
  batchSize?: number;
  /** Waits before a failed record is tried again: default 1 min doubling to 6 h. */
  retryBackoff?: BackoffPolicy;
  /** Waits before a quarantined target is tried again: default 5 min doubling to 6 h. */
  quarantineBackoff?: BackoffPolicy;
  /** Share of failed records (after at least 10) that quarantines the target; default 0.5. */
  failureRatio?: number;
  now?: () => number;
  signal?: AbortSignal;
  /** For the run-completed notifications the mapping's `notify` asks for (clock, SMTP TLS). */
  notifyDeps?: NotifyDeps;
}

/** One record's outcome; `plan` is the action as planned. */
export interface MappingOutcome {
  action: PlanAction;
  result: "ok" | "failed" | "held";
  targetId?: string;
  error?: string;
}

export interface MappingStep {
  step: "import" | "scope" | "match" | "action" | "result";
  outcome: string;
  detail?: Record<string, unknown>;
}

export interface MappingRunReport {
  mapping: string;
  kind: MappingRunKind;
  dryRun: boolean;
  /** Absent for a dry run, which records nothing. */
  run?: MappingRun;
  plan: Plan;
  outcomes: MappingOutcome[];
  /** Per `action.result` (`create.ok`, `update.failed`, `disable.held`, `skip.ok`…). */
  counts: Record<string, number>;
  /** Outbox positions: what the run took into account. */
  cursor: { from: number; to: number };
  users: number;
  quarantine?: MappingQuarantine;
  steps?: MappingStep[];
  /** What became of each notification the mapping asks for (none for a dry run). */
  notifications?: NotifyOutcome[];
}

const DEFAULT_RETRY: BackoffPolicy = { baseMs: 60_000, maxMs: 6 * 3_600_000 };
const DEFAULT_QUARANTINE: BackoffPolicy = { baseMs: 5 * 60_000, maxMs: 6 * 3_600_000 };
const MIN_FOR_RATIO = 10;
/** The retry reason of a disable or delete the threshold held: looked at again as failures are. */
const HELD = "held by the deletion threshold";
/** Skips written to the log: the others (nothing to do) would fill it with every unchanged user. */
const LOGGED_SKIPS = new Set(["blankKey", "duplicateKey", "ambiguousMatch", "mappingFailed", "ignored"]);

/** Runs `input.mapping` once. Throws MAPPING_TARGET_QUARANTINED while the target is quarantined. */
export async function runMapping(input: MappingRunInput): Promise<MappingRunReport> {
  const { mapping, store, target } = input;
  const now = input.now ?? Date.now;
  const name = mapping.name;
  const dryRun = input.dryRun === true;
  const attributes = compileAttributes(mapping, compileExpression);
  const quarantined = await store.mappings.quarantine(name);
  if (quarantined && now() < quarantined.until && !dryRun) {
    throw createError("MAPPING_TARGET_QUARANTINED", {
      mapping: name,
      until: new Date(quarantined.until).toISOString(),
      reason: quarantined.reason,
    });
  }
  const from = await store.mappings.cursor(name);
  const kind: MappingRunKind = input.user ? "user" : input.full || from === 0 ? "full" : "incremental";
  // Read before the users: a change landing during the run is looked at again by the next one.
  const head = await store.outbox.head();
  const members = await scopeMembers(store, mapping);
  const retries = new Map((await store.mappings.retries(name)).map((r) => [r.userId, r]));
  const steps: MappingStep[] = [];

  const subjects = await candidates(store, mapping, kind, { from, head, input, retries, now: now() });
  const ids = subjects.map((s) => s.id);
  const links = new Map((await store.mappings.links(name, ids)).map((l) => [l.userId, l]));
  if (kind === "user" && subjects.length === 0) {
    throw createError("MAPPING_USER_NOT_FOUND", { ref: input.user as string, mapping: name });
  }
  const planUsers: PlanUser[] = [];
  for (const subject of subjects) {
    const state = userState(mapping.source.users, subject, members);
    // A user who is not in scope and never got a record here is none of this mapping's business.
    if (state !== "active" && !links.has(subject.id) && kind !== "user") continue;
    planUsers.push({ id: subject.id, data: subject.data, state });
  }
  if (kind === "user") steps.push(...importSteps(subjects[0]!, planUsers[0]!, members, mapping));

  // Lookups: what the target holds for each user. Incremental runs trust a linked record as last
  // written; full runs and single users read the target for every one.
  const live = kind !== "incremental";
  const prePlan = planProvisioning({ mapping, attributes, users: planUsers, targets: [] });
  const unlookable = new Set(
    prePlan.actions
      .filter((a) => a.kind === "skip" && ["blankKey", "duplicateKey", "mappingFailed"].includes(a.reason))
      .map((a) => a.userId),
  );
  const found = new Map<string, TargetRecord>();
  const lookupFailures: MappingOutcome[] = [];
  let fatal: unknown;
  // A full run reads a target that can list once, a page at a time, instead of one lookup per user.
  const listed =
    kind === "full"
      ? await listTarget(target, mapping.match).catch((err: unknown) => {
          // Refused credentials quarantine the target, as a refused lookup would.
          if (!isFatal(err)) throw err;
          fatal = err;
          return undefined;
        })
      : undefined;
  await pool(planUsers, input.concurrency ?? 4, async (user) => {
    if (fatal || unlookable.has(user.id)) return;
    const link = links.get(user.id);
    if (link) found.set(link.targetId, { id: link.targetId, attributes: link.attributes });
    if (!live && (link || user.state !== "active")) return;
    const keys = matchKeys(mapping, attributes, user);
    if (listed) {
      const current = link && listed.byId.get(link.targetId);
      if (current) found.set(current.id, current);
      // Every record a key finds: the plan picks by precedence and reports what is ambiguous.
      for (const { path, value } of keys) {
        const records = listed.byKey[mapping.match.indexOf(path)]?.get(matchKey(path, value) ?? "");
        for (const record of records ?? []) found.set(record.id, record);
      }
      return;
    }
    if (keys.length === 0) return;
    try {
      const record = await target.lookup(keys);
      if (record) found.set(record.id, record);
      if (kind === "user") {
        steps.push({
          step: "match",
          outcome: record ? `found ${record.id}` : link ? `linked to ${link.targetId}` : "no record",
          detail: { keys, ...(link ? { linked: link.targetId } : {}) },
        });
      }
    } catch (err) {
      if (isFatal(err)) fatal = err;
      const action: PlanAction = {
        userId: user.id,
        key: keys[0]?.value,
        kind: "skip",
        reason: "mappingFailed",
        detail: "lookup failed",
      };
      lookupFailures.push({ action, result: "failed", error: messageOf(err) });
    }
  });
  const failedLookups = new Set(lookupFailures.map((o) => o.action.userId));
  const plan = planProvisioning({
    mapping,
    attributes,
    users: planUsers.filter((u) => !failedLookups.has(u.id)),
    targets: [...found.values()],
    links: new Map([...links].map(([userId, link]) => [userId, link.targetId])),
    provisioned: await store.mappings.linkCount(name),
    allowDeletes: input.allowDeletes === true,
  });
  if (kind === "user") {
    const action = plan.actions[0] ?? plan.held[0];
    if (action) steps.push({ step: "action", outcome: describeMappingAction(action), detail: { ...action } });
  }

  const report: MappingRunReport = {
    mapping: name,
    kind,
    dryRun,
    plan,
    outcomes: [],
    counts: {},
    cursor: { from, to: kind === "user" ? from : head },
    users: planUsers.length,
    ...(kind === "user" ? { steps } : {}),
  };
  if (dryRun) {
    report.outcomes = plan.actions.map((action) => ({ action, result: "ok" as const }));
    report.outcomes.push(...plan.held.map((action) => ({ action, result: "held" as const })));
    report.counts = countOutcomes(report.outcomes);
    if (fatal) throw fatal;
    return report;
  }

  const run = await store.mappings.startRun({ mapping: name, kind });
  const retryPolicy = input.retryBackoff ?? DEFAULT_RETRY;
  const retryFor = (userId: string, error: string): MappingRetry => {
    const attempts = (retries.get(userId)?.attempts ?? 0) + 1;
    return { userId, attempts, nextAttemptAt: now() + backoffMs(attempts, retryPolicy), error };
  };
  let attempted = 0;
  let failed = 0;
  const commit = async (outcomes: MappingOutcome[], cursor?: number) => {
    const batch: MappingCommit = { mapping: name, runId: run.id, entries: [], links: [], retries: [] };
    for (const outcome of outcomes) {
      const { action } = outcome;
      const userId = action.userId;
      if (action.kind !== "skip" || LOGGED_SKIPS.has(action.reason) || outcome.result === "failed") {
        batch.entries.push(logEntry(outcome));
      }
      if (outcome.result === "failed") {
        batch.retries!.push(retryFor(userId, outcome.error ?? "failed"));
        continue;
      }
      if (outcome.result === "held") {
        batch.retries!.push({ ...retryFor(userId, HELD), attempts: 1 });
        continue;
      }
      if (retries.has(userId)) batch.retries!.push({ userId, attempts: 0, nextAttemptAt: 0, error: "" });
      const link = linkAfter(outcome, links.get(userId), found);
      if (link !== undefined) batch.links!.push(link);
    }
    if (cursor !== undefined) batch.cursor = cursor;
    await store.mappings.commit(batch);
    report.outcomes.push(...outcomes);
  };

  const size = input.batchSize ?? 100;
  const actions = plan.actions;
  let stopped: unknown;
  let quarantineReason: string | undefined;
  try {
    if (lookupFailures.length > 0) {
      attempted += lookupFailures.length;
      failed += lookupFailures.length;
      await commit(lookupFailures);
    }
    for (let i = 0; !fatal && i < actions.length; i += size) {
      input.signal?.throwIfAborted();
      const batch = actions.slice(i, i + size);
      const outcomes: MappingOutcome[] = [];
      await pool(batch, input.concurrency ?? 4, async (action) => {
        if (fatal) return;
        const outcome = await carryOut(target, action, found);
        if (action.kind !== "skip") attempted++;
        if (outcome.result === "failed") {
          failed++;
          if (isFatal(outcome.error)) fatal ??= outcome.error;
        }
        outcomes.push({
          ...outcome,
          error: outcome.error === undefined ? undefined : messageOf(outcome.error),
        });
      });
      await commit(outcomes.map(({ error, ...rest }) => (error === undefined ? rest : { ...rest, error })));
      if (fatal) break;
      const ratio = input.failureRatio ?? 0.5;
      if (attempted >= MIN_FOR_RATIO && failed / attempted >= ratio) {
        quarantineReason = `${failed} of ${attempted} records failed (${outcomes.find((o) => o.error)?.error ?? ""})`;
        break;
      }
    }
    if (fatal) quarantineReason = messageOf(fatal);
    if (quarantineReason === undefined) {
      const held = plan.held.map((action) => ({ action, result: "held" as const }));
      await commit(held, kind === "user" ? undefined : head);
    }
  } catch (err) {
    stopped = err;
  }

  if (kind === "user") {
    const outcome = report.outcomes.find((o) => o.action.userId === planUsers[0]?.id);
    steps.push({
      step: "result",
      outcome: outcome ? outcome.result : "nothing to do",
      detail: outcome
        ? { ...(outcome.targetId ? { targetId: outcome.targetId } : {}), error: outcome.error }
        : {},
    });
  }
  report.counts = countOutcomes(report.outcomes);
  if (stopped !== undefined) {
    report.run = await store.mappings.finishRun(run.id, {
      status: "failed",
      error: toConnectorError(stopped, input.signal).message,
    });
    throw stopped;
  }
  if (quarantineReason !== undefined) {
    const count = (quarantined?.count ?? 0) + 1;
    const quarantine: MappingQuarantine = {
      reason: quarantineReason,
      since: new Date(now()).toISOString(),
      until: now() + backoffMs(count, input.quarantineBackoff ?? DEFAULT_QUARANTINE),
      count,
    };
    await store.mappings.setQuarantine(name, quarantine);
    report.quarantine = quarantine;
    report.run = await store.mappings.finishRun(run.id, { status: "quarantined", error: quarantine.reason });
    return notified(report, mapping, input.notifyDeps);
  }
  if (quarantined) await store.mappings.setQuarantine(name, undefined);
  report.run = await store.mappings.finishRun(run.id, { status: failed > 0 ? "failed" : "succeeded" });
  return notified(report, mapping, input.notifyDeps);
}

/** Sends the run-completed notifications; one that cannot be sent is reported, never fails the run. */
async function notified(
  report: MappingRunReport,
  mapping: Mapping,
  deps: NotifyDeps | undefined,
): Promise<MappingRunReport> {
  if (mapping.notify === undefined || report.run === undefined) return report;
  report.notifications = await notifyRunCompleted(mapping.notify, runSummary(report), deps);
  return report;
}

export function runSummary(report: MappingRunReport): RunSummary {
  const run = report.run;
  return {
    mapping: report.mapping,
    runId: run?.id ?? "",
    dryRun: report.dryRun,
    counts: report.counts,
    failures: report.outcomes
      .filter((o) => o.result === "failed")
      .map((o) => ({ user: o.action.userId, action: o.action.kind, error: o.error ?? "" })),
    startedAt: run?.startedAt ?? "",
    endedAt: run?.finishedAt ?? "",
  };
}

interface Listing {
  byId: Map<string, TargetRecord>;
  /** Per match attribute (in `match` order): the records holding each value, as the plan compares them. */
  byKey: Map<string, TargetRecord[]>[];
}

/**
 * Every record of a target that can list, indexed as the plan matches. A target whose listing fails other
 * than by refusing the credentials (a service that does not page) is looked up record by record instead.
 */
async function listTarget(target: MappingTarget, match: readonly string[]): Promise<Listing | undefined> {
  if (!target.list) return undefined;
  const listing: Listing = { byId: new Map(), byKey: match.map(() => new Map()) };
  try {
    for await (const record of target.list()) {
      listing.byId.set(record.id, record);
      match.forEach((path, i) => {
        const key = matchKey(path, getPath(record.attributes, path));
        if (key !== undefined) listing.byKey[i]!.set(key, [...(listing.byKey[i]!.get(key) ?? []), record]);
      });
    }
  } catch (err) {
    if (isFatal(err) || !isConnectorError(err)) throw err;
    return undefined;
  }
  return listing;
}

/** Authentication failures stop the run: every further call would fail the same way. */
function isFatal(err: unknown): boolean {
  return isConnectorError(err, "TARGET_AUTH_FAILED");
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Runs `work` over `items`, `limit` at a time. */
async function pool<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}

/** The ids of the users in `memberOf` (nested members included) or assigned to `assignedTo`. */
async function scopeMembers(store: Store, mapping: Mapping): Promise<Set<string> | undefined> {
  const users = mapping.source.users;
  const sources = users.memberOf
    ? users.memberOf.map((ref) => ({ ref, field: "memberOf", kind: "group" as const }))
    : users.assignedTo
      ? [{ ref: users.assignedTo, field: "assignedTo", kind: "app" as const }]
      : [];
  if (sources.length === 0) return undefined;
  const members = new Set<string>();
  for (const source of sources) {
    const object = await store.query.resolve(source.ref, source.kind);
    if (!object) throw createError("MAPPING_SCOPE_NOT_FOUND", { field: source.field, ref: source.ref });
    const relation = source.kind === "group" ? "group:member" : "app:assigned";
    for (const grant of await store.query.grants({ objectId: object.id })) {
      if (grant.relation === relation && grant.principalType === "user") members.add(grant.principalId);
    }
  }
  return members;
}

interface CandidateContext {
  from: number;
  head: number;
  input: MappingRunInput;
  retries: ReadonlyMap<string, MappingRetry>;
  now: number;
}

/** The users a run looks at, as the store holds them; a linked user the store no longer has is hard-deleted. */
async function candidates(
  store: Store,
  mapping: Mapping,
  kind: MappingRunKind,
  context: CandidateContext,
): Promise<ScopeSubject[]> {
  const name = mapping.name;
  let ids: string[];
  if (kind === "user") {
    const ref = context.input.user as string;
    const live = await store.query.resolve(ref, "user");
    ids = [live?.id ?? ref];
    // A user the store no longer holds is still known by its link.
    if (!live && (await store.mappings.links(name, ids)).length === 0) {
      return await store.mappings.users(ids);
    }
  } else if (kind === "full") {
    const set = new Set<string>();
    for await (const user of store.query.resources({ kind: "user" })) set.add(user.id);
    for (const link of await store.mappings.links(name)) set.add(link.userId);
    ids = [...set];
  } else {
    const set = new Set<string>();
    for (const retry of context.retries.values()) {
      // A run that allows deletes carries out every held one at once, due or not.
      const held = retry.error === HELD && context.input.allowDeletes === true;
      if (retry.nextAttemptAt <= context.now || held) set.add(retry.userId);
    }
    const expand = new Set<string>();
    for (let after = context.from; after < context.head; ) {
      const events = await store.outbox.read({ afterSeq: after, untilSeq: context.head, limit: 5000 });
      if (events.length === 0) break;
      for (const event of events) affected(event, mapping, set, expand);
      after = events.at(-1)!.seq;
    }
    for (const groupId of expand) {
      for (const grant of await store.query.grants({ objectId: groupId })) {
        if (grant.relation === "group:member" && grant.principalType === "user") set.add(grant.principalId);
      }
    }
    for (const link of await store.mappings.links(name, [...set])) set.add(link.userId);
    ids = [...set];
  }
  const held = new Map((await store.mappings.users(ids)).map((s) => [s.id, s]));
  const linked = new Set((await store.mappings.links(name, ids)).map((l) => l.userId));
  return ids.flatMap((id): ScopeSubject[] => {
    const subject = held.get(id);
    if (subject) return [subject];
    return linked.has(id) ? [{ id, data: { id }, deleted: "hard" as const }] : [];
  });
}

/** Adds the users an outbox event may have moved in or out of scope, or changed. */
function affected(event: ChangeEvent, mapping: Mapping, users: Set<string>, groups: Set<string>): void {
  if (
    event.kind === "user" &&
    (event.type === "created" || event.type === "updated" || event.type === "deleted")
  ) {
    users.add(event.resourceId);
    return;
  }
  if (event.type !== "added" && event.type !== "removed") return;
  const relation = event.data["relation"];
  const scope = mapping.source.users;
  const relevant =
    (relation === "group:member" && scope.memberOf !== undefined) ||
    (relation === "app:assigned" && scope.assignedTo !== undefined);
  if (!relevant) return;
  const principal = String(event.data["principalId"] ?? "");
  const type = event.data["principalType"];
  if (type === "user") users.add(principal);
  else if (type === "group") groups.add(principal);
}

/** The match attributes' values for `user`, in precedence order; blank ones left out. */
function matchKeys(mapping: Mapping, attributes: readonly AttributeMapper[], user: PlanUser): MatchKey[] {
  const keys: MatchKey[] = [];
  for (const path of mapping.match) {
    const mapper = attributes.find((a) => a.path === path);
    if (!mapper) continue;
    let value: unknown;
    try {
      value = mapper.expression.evaluate(user.data);
    } catch {
      continue;
    }
    value ??= mapper.default;
    if (value === undefined || value === null || String(value).trim() === "") continue;
    keys.push({ path, value: String(value) });
  }
  return keys;
}

/** Makes the call an action needs; a failure is the outcome, not an exception. */
async function carryOut(
  target: MappingTarget,
  action: PlanAction,
  found: ReadonlyMap<string, TargetRecord>,
): Promise<Omit<MappingOutcome, "error"> & { error?: unknown }> {
  try {
    switch (action.kind) {
      case "create": {
        const record = await target.create(action.attributes);
        return { action, result: "ok", targetId: record.id, record } as MappingOutcome;
      }
      case "update": {
        // The whole record as it should be, for targets that replace (PUT) or re-create a vanished one.
        const desired = structuredClone(found.get(action.targetId)?.attributes ?? {});
        for (const change of action.changes) setPath(desired, change.path, change.new);
        const record = await target.update(action.targetId, action.changes, desired);
        return { action, result: "ok", targetId: record.id, record } as MappingOutcome;
      }
      case "disable":
        await target.disable(action.targetId);
        return { action, result: "ok", targetId: action.targetId };
      case "delete":
        await target.delete(action.targetId);
        return { action, result: "ok", targetId: action.targetId };
      case "skip":
        return { action, result: "ok", ...(action.targetId ? { targetId: action.targetId } : {}) };
    }
  } catch (error) {
    const targetId = "targetId" in action ? action.targetId : undefined;
    return { action, result: "failed", error, ...(targetId ? { targetId } : {}) };
  }
}

/** The link a successful outcome leaves: the record as written, dropped after a delete, none when unchanged. */
function linkAfter(
  outcome: MappingOutcome,
  previous: MappingLink | undefined,
  found: ReadonlyMap<string, TargetRecord>,
): MappingCommit["links"] extends (infer L)[] | undefined ? L | undefined : never {
  const { action } = outcome;
  const record = (outcome as MappingOutcome & { record?: TargetRecord }).record;
  switch (action.kind) {
    case "create":
    case "update":
      return record
        ? { userId: action.userId, targetId: record.id, attributes: record.attributes }
        : undefined;
    case "disable": {
      const attributes = structuredClone(
        found.get(action.targetId)?.attributes ?? previous?.attributes ?? {},
      );
      setPath(attributes, "active", false);
      return { userId: action.userId, targetId: action.targetId, attributes };
    }
    case "delete":
      return { userId: action.userId, targetId: null };
    case "skip": {
      // A record matched by its keys (a create whose commit a crash lost, a record made elsewhere) is linked now.
      if (!action.targetId || action.reason === "duplicateKey" || action.reason === "ambiguousMatch")
        return undefined;
      const record = found.get(action.targetId);
      if (!record) return undefined;
      if (
        previous?.targetId === record.id &&
        JSON.stringify(previous.attributes) === JSON.stringify(record.attributes)
      ) {
        return undefined;
      }
      return { userId: action.userId, targetId: record.id, attributes: record.attributes };
    }
  }
}

function logEntry(outcome: MappingOutcome): MappingCommit["entries"][number] {
  const { action } = outcome;
  const entry: MappingCommit["entries"][number] = {
    userId: action.userId,
    action: action.kind,
    result: outcome.result,
    reason: action.reason,
  };
  const targetId = outcome.targetId ?? ("targetId" in action ? action.targetId : undefined);
  if (targetId) entry.targetId = targetId;
  if (action.kind === "update") entry.changes = action.changes;
  const detail = outcome.error ?? (action.kind === "skip" ? action.detail : undefined);
  if (detail) entry.detail = detail;
  return entry;
}

function countOutcomes(outcomes: readonly MappingOutcome[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const o of outcomes) {
    const key = `${o.action.kind}.${o.result}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

/** One line for an action: `create userName=…`, `update displayName: "A" → "B"`, `skip (blankKey: …)`. */
export function describeMappingAction(action: PlanAction): string {
  switch (action.kind) {
    case "create":
      return `create ${action.key ?? ""}`.trim();
    case "update":
      return `update ${action.changes
        .map((c) => `${c.path}: ${JSON.stringify(c.old ?? null)} → ${JSON.stringify(c.new ?? null)}`)
        .join(", ")}`;
    case "disable":
    case "delete":
      return `${action.kind} ${action.targetId} (${action.reason})`;
    case "skip":
      return `skip (${action.reason}: ${action.detail})`;
  }
}

function importSteps(
  subject: ScopeSubject,
  user: PlanUser | undefined,
  members: ReadonlySet<string> | undefined,
  mapping: Mapping,
): MappingStep[] {
  const data = subject.data;
  const name = String(data["userPrincipalName"] ?? data["displayName"] ?? subject.id);
  const steps: MappingStep[] = [
    {
      step: "import",
      outcome: subject.deleted ? `${subject.deleted}-deleted user ${subject.id}` : `found ${name}`,
      detail: { id: subject.id, userPrincipalName: data["userPrincipalName"] ?? null },
    },
  ];
  const scope = mapping.source.users;
  const detail: Record<string, unknown> = {};
  if (members) detail[scope.memberOf ? "memberOf" : "assignedTo"] = members.has(subject.id);
  if (scope.filter) detail["filter"] = user?.state !== "outOfScope";
  detail["accountEnabled"] = getPath(data, "accountEnabled") ?? null;
  steps.push({ step: "scope", outcome: user?.state ?? "outOfScope", detail });
  return steps;
}

/** Checks what loading a mapping does not: every expression compiles and the target's settings hold. */
export async function checkMapping(mapping: Mapping): Promise<void> {
  compileAttributes(mapping, compileExpression);
  await openTarget(mapping).close();
}
