/** What every stream runs with: the shared client and store, the run, and where progress goes. */
import type { GraphClient } from "../graph/types.ts";
import type { ChangeEvent, PageInput, PageResult, ReconcileInput, Store } from "../store/types.ts";
import { drain, type StreamMeter } from "./meter.ts";

export type StreamPhase = "starting" | "loading" | "sweeping" | "incremental" | "done" | "failed" | "skipped";

/** Receives progress as it happens (the CLI draws it; tests may collect it). */
export interface SyncObserver {
  phase?(stream: string, phase: StreamPhase): void;
  /** After each committed page: objects it named and events it made. */
  page?(stream: string, page: { objects: number; changes: number }): void;
  /**
   * The events a page made, when given: only then does a page's commit return them (a full load
   * makes a million, which building and copying from the store's thread would otherwise cost).
   */
  events?(stream: string, events: readonly ChangeEvent[]): void;
  /** A problem that does not fail the run (e.g. PIM needs a P2 licence), reported once per run. */
  warning?(stream: string, message: string): void;
}

export interface StreamContext {
  client: GraphClient;
  store: Store;
  runId: string;
  /** `--full`: load instead of following delta links. */
  full: boolean;
  /** Batches in flight per stream for per-object reads. */
  concurrency: number;
  meter: StreamMeter;
  observer: SyncObserver;
  signal?: AbortSignal;
}

/**
 * Commits one page with what it cost (HTTP round trips and RU: the run record has no column for the
 * requests a `$batch` carries; the run summary reports those), and tells the observer.
 */
export async function commitPage(
  ctx: StreamContext,
  page: Omit<PageInput, "runId" | "stats">,
): Promise<PageResult> {
  const cost = drain(ctx.meter);
  const result = await ctx.store.sync.applyPage({
    ...page,
    runId: ctx.runId,
    stats: { requests: cost.requests, resourceUnits: cost.resourceUnits },
    returnEvents: ctx.observer.events !== undefined,
  });
  ctx.observer.page?.(page.stream, result);
  if (result.events.length > 0) ctx.observer.events?.(page.stream, result.events);
  return result;
}

/** Commits a sweep (deletions the round did not see), optionally with the stream's next checkpoint. */
export async function commitSweep(
  ctx: StreamContext,
  input: Omit<ReconcileInput, "runId">,
): Promise<PageResult> {
  const cost = drain(ctx.meter);
  if (cost.requests > 0) {
    await ctx.store.runs.record(ctx.runId, input.stream, {
      requests: cost.requests,
      resourceUnits: cost.resourceUnits,
    });
  }
  const result = await ctx.store.sync.reconcile({ ...input, runId: ctx.runId });
  ctx.observer.page?.(input.stream, result);
  if (result.events.length > 0) ctx.observer.events?.(input.stream, result.events);
  return result;
}
