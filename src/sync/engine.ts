/**
 * `runSync`: one sync run over the chosen kinds. Streams run concurrently under the client's shared
 * limiter; each commits page by page with its checkpoint, so a run killed at any point resumes where
 * it stopped. The run record keeps kind, timings, objects and changes per stream, requests and RU,
 * throttle waits and errors.
 *
 * @example
 *   const summary = await runSync({ client, store, tenantId, options: { kinds: parseKinds(undefined), full: false, skipAdGroups: false } });
 *   console.log(summary.run.kind, summary.totals.changes);
 */
import { setTimeout as sleep } from "node:timers/promises";
import { isConnectorError, toConnectorError } from "../errors.ts";
import type { TenantSize } from "../graph/limiter.ts";
import { statsSince } from "../graph/stats.ts";
import type { ClientStats, GraphClient } from "../graph/types.ts";
import { RUN_LEASE_MS, type RunKind, type RunRecord, type Store } from "../store/types.ts";
import { planStream, readPosition } from "./checkpoint.ts";
import type { StreamContext, SyncObserver } from "./context.ts";
import { drain, newMeter, type StreamCost, type StreamMeter, totals } from "./meter.ts";
import type { SyncOptions } from "./options.ts";
import { runSnapshot, type SnapshotSpec } from "./snapshot-stream.ts";
import { appsStream } from "./streams/apps.ts";
import { groupsStream } from "./streams/groups.ts";
import { licensesStream } from "./streams/licenses.ts";
import { rolesStream } from "./streams/roles.ts";
import { usersStream } from "./streams/users.ts";
import { runTracked, type TrackedSpec } from "./tracked-stream.ts";

export interface RunSyncInput {
  client: GraphClient;
  store: Store;
  tenantId: string;
  options: SyncOptions;
  /** Retired: the client's limiter sizes the budget itself. Remove once no caller passes it. */
  tenantSize?: TenantSize;
  observer?: SyncObserver;
  signal?: AbortSignal;
  /** When another sync is running on the store, wait for it to end instead of failing with STORE_SYNC_RUNNING. */
  wait?: boolean;
}

export interface StreamOutcome {
  /** How the stream ran (absent when it failed before knowing). */
  mode?: "full" | "incremental" | "snapshot";
  ok: boolean;
  error?: string;
  /**
   * What the stream spent: HTTP round trips apart from the requests `$batch` envelopes carried (the
   * run record's `requests` counts round trips; Graph charges each carried request on its own).
   */
  cost: StreamCost;
}

export interface SyncSummary {
  run: RunRecord;
  streams: Record<string, StreamOutcome>;
  warnings: { stream: string; message: string }[];
  /** What the client spent during the run (all streams). */
  client: ClientStats;
  /** The run's figures as `runs` shows them; `requests` is every request the client sent during the run. */
  totals: { objects: number; changes: number; requests: number };
  durationMs: number;
}

/**
 * A stream and the wave it runs in. Streams of one wave run concurrently; a wave starts when the one
 * before it has finished. The store drops every relationship naming an object it deletes, but Graph
 * keeps listing app and role assignments of deleted principals, so streams that re-read such
 * relationships (apps, then roles, which also names apps) run after the streams that delete
 * principals; otherwise a deletion committed after the re-read would leave them out.
 * The first sync into an empty store deletes nothing (every row is new and seen by its own round),
 * so there everything runs at once.
 */
type Planned = ({ tracked: TrackedSpec } | { snapshot: SnapshotSpec }) & { wave: number };

/** The streams the options ask for, in waves (one wave for the first sync into an empty store). */
export function planStreams(options: SyncOptions, firstSync = false): Planned[] {
  const k = options.kinds;
  const out: Planned[] = [];
  if (k.has("users") || k.has("licenses")) out.push({ tracked: usersStream(options), wave: 1 });
  if (k.has("groups") || k.has("memberships") || k.has("owners")) {
    out.push({ tracked: groupsStream(options), wave: 1 });
  }
  if (k.has("licenses")) out.push({ snapshot: licensesStream(), wave: 1 });
  if (k.has("apps")) out.push({ tracked: appsStream(options), wave: firstSync ? 1 : 2 });
  if (k.has("roles")) out.push({ snapshot: rolesStream(), wave: firstSync ? 1 : 3 });
  return out;
}

function streamName(p: Planned): string {
  return "tracked" in p ? p.tracked.stream : p.snapshot.stream;
}

/** Full when asked, or when any delta-tracked stream has nothing to follow (or nothing it may follow). */
async function runKind(store: Store, planned: Planned[], full: boolean, graphRoot: string): Promise<RunKind> {
  if (full) return "full";
  for (const p of planned) {
    if (!("tracked" in p)) continue;
    const position = readPosition(p.tracked.stream, await store.sync.checkpoint(p.tracked.stream));
    if (planStream(position, p.tracked.select, false, graphRoot).action !== "delta") return "full";
  }
  return "incremental";
}

/**
 * One run at a time per store: the run record is the lock (STORE_SYNC_RUNNING names the holder of a
 * running one; `wait` polls until it ends). It is released when the run finishes, however it ends.
 */
export async function runSync(input: RunSyncInput): Promise<SyncSummary> {
  const { store, options } = input;
  const started = Date.now();
  const run = await startRun(input);
  const lease = renewLease(store, run.id);
  try {
    // Planned once the lock is held: a run waited for may have made this store's first sync.
    const firstSync = (await store.sync.checkpoints()).length === 0;
    if (firstSync) await store.sync.deferReadIndexes();
    return await execute(input, run, planStreams(options, firstSync), started);
  } catch (err) {
    // Built before the run is marked ended, so a failed first load leaves a store as quick to query.
    await store.sync.restoreReadIndexes().catch(() => {});
    await store.runs
      .finish(run.id, {
        status: input.signal?.aborted ? "cancelled" : "failed",
        error: toConnectorError(err, input.signal).message,
      })
      .catch(() => {});
    throw err;
  } finally {
    clearInterval(lease);
  }
}

/** How often a waiting sync asks whether the store's running sync has ended. */
const WAIT_POLL_MS = 500;
const WAIT_RETRY_POLLS = 20;

async function startRun(input: RunSyncInput): Promise<RunRecord> {
  const { store, options } = input;
  for (;;) {
    const streams = planStreams(options);
    let holder: string;
    try {
      const kind = await runKind(store, streams, options.full, input.client.graphRoot);
      return await store.runs.start({ kind, tenantId: input.tenantId, streams: streams.map(streamName) });
    } catch (err) {
      if (!input.wait || !isConnectorError(err, "STORE_SYNC_RUNNING")) throw err;
      holder = String(err.params["run"]);
    }
    // Tried again once the holder has ended: judged while it runs, a first load not yet done would
    // label this run full as well. Also every WAIT_RETRY_POLLS polls, for a holder that died without
    // ending, which only a start notices (its process gone, its lease lapsed).
    for (let polls = 0; polls < WAIT_RETRY_POLLS; polls++) {
      await sleep(WAIT_POLL_MS, undefined, { signal: input.signal });
      if ((await store.runs.get(holder))?.status !== "running") break;
    }
  }
}

/**
 * Keeps the run's lease alive so a run starting meanwhile (another `sync`, `watch`, the demo) leaves it
 * `running`; once this process dies the lease lapses and the next run marks this one interrupted.
 */
function renewLease(store: Store, runId: string): NodeJS.Timeout {
  const timer = setInterval(() => {
    // A failed renewal is not the run's failure: the next one may succeed, and at worst a later run
    // records this one as interrupted while it goes on and then finishes with its real outcome.
    store.runs.renew(runId, RUN_LEASE_MS).catch(() => {});
  }, RUN_LEASE_MS / 3);
  timer.unref();
  return timer;
}

async function execute(
  input: RunSyncInput,
  run: RunRecord,
  planned: Planned[],
  started: number,
): Promise<SyncSummary> {
  const { client, store, options } = input;
  const before = client.stats();
  const warnings: SyncSummary["warnings"] = [];
  // Methods are called through the caller's object: an observer may be a class instance.
  const observer: SyncObserver = {
    phase: (stream, phase) => input.observer?.phase?.(stream, phase),
    page: (stream, page) => input.observer?.page?.(stream, page),
    ...(input.observer?.events
      ? { events: (stream, events) => input.observer?.events?.(stream, events) }
      : {}),
    warning(stream, message) {
      warnings.push({ stream, message });
      input.observer?.warning?.(stream, message);
    },
  };
  const streams: Record<string, StreamOutcome> = {};

  const runStream = async (p: Planned) => {
    const name = streamName(p);
    const ctx: StreamContext = {
      client,
      store,
      runId: run.id,
      full: options.full,
      concurrency: options.concurrency ?? 8,
      meter: newMeter(),
      observer,
      signal: input.signal,
    };
    observer.phase?.(name, "starting");
    try {
      if ("tracked" in p) {
        const mode = await runTracked(p.tracked, ctx);
        streams[name] = { mode, ok: true, cost: totals(ctx.meter) };
      } else {
        await runSnapshot(p.snapshot, ctx);
        streams[name] = { mode: "snapshot", ok: true, cost: totals(ctx.meter) };
      }
      observer.phase?.(name, "done");
    } catch (err) {
      const e = toConnectorError(err, input.signal);
      streams[name] = { ok: false, error: e.message, cost: totals(ctx.meter) };
      observer.phase?.(name, "failed");
      await store.runs.record(run.id, name, { errors: 1 });
    }
    await recordUncommitted(store, run.id, name, ctx.meter);
  };
  for (const wave of [...new Set(planned.map((p) => p.wave))].sort()) {
    await Promise.all(planned.filter((p) => p.wave === wave).map(runStream));
  }

  const client_ = statsSince(before, client.stats());
  // Streams count each request once; the client counts every attempt on the wire. The difference
  // (retries of throttled or failed attempts) goes on the client's line, so a run's requests in
  // `runs` are what the client sent, as the progress and the summary show them.
  const streamed = Object.values(streams).reduce((sum, o) => sum + o.cost.requests, 0);
  await store.runs.record(run.id, "graph-client", {
    requests: Math.max(0, client_.requests - streamed),
    throttleWaitMs: client_.throttleWaitMs,
  });
  // Before the run ends: once it reads succeeded, the store answers queries at full speed. Every run
  // checks (cheap when they exist), so one resuming a first load killed half-way builds them too.
  await store.sync.restoreReadIndexes();
  const failed = Object.entries(streams).filter(([, o]) => !o.ok);
  const cancelled = input.signal?.aborted === true;
  const finished = await store.runs.finish(run.id, {
    status: cancelled ? "cancelled" : failed.length > 0 ? "failed" : "succeeded",
    ...(failed.length > 0 ? { error: failed.map(([n, o]) => `${n}: ${o.error}`).join("; ") } : {}),
  });
  let objects = 0;
  let changes = 0;
  let requests = 0;
  for (const s of Object.values(finished.stats)) {
    objects += s.objects;
    changes += s.changes;
    requests += s.requests;
  }
  return {
    run: finished,
    streams,
    warnings,
    client: client_,
    totals: { objects, changes, requests },
    durationMs: Date.now() - started,
  };
}

/**
 * Requests a stream sent after its last commit (a failed stream's, or a final read that changed
 * nothing): without this they would be missing from the run record.
 */
async function recordUncommitted(store: Store, runId: string, stream: string, meter: StreamMeter) {
  const rest = drain(meter);
  if (rest.requests > 0 || rest.resourceUnits > 0) {
    await store.runs.record(runId, stream, { requests: rest.requests, resourceUnits: rest.resourceUnits });
  }
}
