/**
 * Showing a sync as it runs: on a terminal, one line per stream redrawn in place (objects, changes,
 * rate, phase) plus the client's requests, RU and throttle waits; elsewhere, plain log lines when a
 * stream changes phase and every few seconds while it loads. Formatting is pure; `SyncProgress` only
 * decides when to write.
 */
import { statsSince } from "../graph/stats.ts";
import type { ClientStats } from "../graph/types.ts";
import { terminalSafe } from "../log/terminal.ts";
import type { ChangeEvent } from "../store/types.ts";
import type { StreamPhase, SyncObserver } from "./context.ts";
import type { SyncSummary } from "./engine.ts";

export interface StreamProgress {
  stream: string;
  phase: StreamPhase;
  objects: number;
  changes: number;
  startedAt: number;
  /** Set when the stream finished (done / failed). */
  endedAt?: number;
}

const num = (n: number) => Math.round(n).toLocaleString("en-US");

export function formatStreamLine(s: StreamProgress, now: number): string {
  const seconds = Math.max(0.001, ((s.endedAt ?? now) - s.startedAt) / 1000);
  const rate = s.objects / seconds;
  return `${s.stream.padEnd(9)} ${s.phase.padEnd(11)} ${num(s.objects).padStart(10)} objects ${num(s.changes).padStart(9)} changes ${num(rate).padStart(7)}/s`;
}

export function formatClientLine(c: ClientStats): string {
  return `graph     ${num(c.requests)} requests, ${num(c.resourceUnits)} RU, ${num(c.throttled)} throttled (waited ${(c.throttleWaitMs / 1000).toFixed(1)} s), ${num(c.retries)} retries`;
}

export function formatSummary(summary: SyncSummary): string[] {
  const { run } = summary;
  const lines = [
    `sync ${run.kind} run #${run.number} ${run.status} in ${(summary.durationMs / 1000).toFixed(1)} s: ${num(summary.totals.objects)} objects, ${num(summary.totals.changes)} changes, ${num(summary.totals.requests)} requests`,
  ];
  for (const [stream, stats] of Object.entries(run.stats)) {
    if (stream === "graph-client") continue;
    const outcome = summary.streams[stream];
    // A position kept apart from its stream's (`app-assignments`) records a line with nothing to report.
    if (!outcome && stats.objects === 0 && stats.changes === 0 && stats.requests === 0) continue;
    const how = outcome
      ? outcome.ok
        ? (outcome.mode ?? "")
        : `FAILED: ${terminalSafe(String(outcome.error))}`
      : "";
    // Round trips first; the requests $batch envelopes carried are what Graph charges one by one.
    const batched = outcome?.cost.batchedRequests ? ` (${num(outcome.cost.batchedRequests)} in $batch)` : "";
    lines.push(
      `  ${stream.padEnd(9)} ${num(stats.objects).padStart(10)} objects ${num(stats.changes).padStart(8)} changes ${num(stats.requests).padStart(7)} requests${batched} ${num(stats.resourceUnits).padStart(8)} RU  ${how}`,
    );
  }
  lines.push(`  ${formatClientLine(summary.client)}`);
  for (const w of summary.warnings) lines.push(`  warning (${w.stream}): ${terminalSafe(w.message)}`);
  return lines;
}

/** One human-readable line per change event (what `demo` prints after each incremental run), escaped. */
export function describeEvent(e: ChangeEvent): string {
  return terminalSafe(eventLine(e));
}

function eventLine(e: ChangeEvent): string {
  const name = String(e.data["displayName"] ?? e.data["userPrincipalName"] ?? e.resourceId);
  switch (e.type) {
    case "created":
      return `+ ${e.kind} ${name} created`;
    case "deleted":
      return `- ${e.kind} ${name} deleted${(e.data["@removed"] as { reason?: string } | undefined)?.reason === "changed" ? " (restorable)" : ""}`;
    case "updated": {
      const props = (e.changes ?? []).map((c) => `${c.property}: ${short(c.old)} → ${short(c.new)}`);
      return `~ ${e.kind} ${name} updated (${props.join("; ")})`;
    }
    case "added":
    case "removed":
      return `${e.type === "added" ? "+" : "-"} ${String(e.data["relation"])} ${e.resourceId} ← ${String(e.data["principalType"] ?? "")} ${String(e.data["principalId"])}`;
  }
}

function short(v: unknown): string {
  const s = v === undefined ? "∅" : JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

export interface ProgressOptions {
  out: NodeJS.WritableStream;
  /** Redraw in place (a terminal) or write log lines. */
  tty: boolean;
  /** The client's running totals; progress shows what was spent since `start()`, as the run record does. */
  clientStats: () => ClientStats;
  intervalMs?: number;
  now?: () => number;
}

export class SyncProgress implements SyncObserver {
  readonly #opts: ProgressOptions;
  readonly #streams = new Map<string, StreamProgress>();
  #timer: NodeJS.Timeout | undefined;
  #drawn = 0;
  #lastLog = 0;
  #baseline: ClientStats | undefined;

  constructor(options: ProgressOptions) {
    this.#opts = options;
  }

  #now(): number {
    return (this.#opts.now ?? Date.now)();
  }

  #state(stream: string): StreamProgress {
    let s = this.#streams.get(stream);
    if (!s) {
      s = { stream, phase: "starting", objects: 0, changes: 0, startedAt: this.#now() };
      this.#streams.set(stream, s);
    }
    return s;
  }

  start(): void {
    this.#baseline = this.#opts.clientStats();
    const interval = this.#opts.intervalMs ?? (this.#opts.tty ? 250 : 5000);
    this.#timer = setInterval(() => this.#tick(), interval);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    if (this.#opts.tty) this.#redraw();
  }

  phase(stream: string, phase: StreamPhase): void {
    const s = this.#state(stream);
    s.phase = phase;
    if (phase === "done" || phase === "failed") s.endedAt = this.#now();
    if (!this.#opts.tty) this.#opts.out.write(`${formatStreamLine(s, this.#now())}\n`);
  }

  page(stream: string, page: { objects: number; changes: number }): void {
    const s = this.#state(stream);
    s.objects += page.objects;
    s.changes += page.changes;
  }

  warning(stream: string, message: string): void {
    this.#clear();
    this.#opts.out.write(`warning (${stream}): ${terminalSafe(message)}\n`);
  }

  #tick(): void {
    if (this.#opts.tty) {
      this.#redraw();
      return;
    }
    const now = this.#now();
    if (now - this.#lastLog < (this.#opts.intervalMs ?? 5000)) return;
    this.#lastLog = now;
    for (const s of this.#streams.values()) {
      if (s.endedAt === undefined) this.#opts.out.write(`${formatStreamLine(s, now)}\n`);
    }
    this.#opts.out.write(`${formatClientLine(this.#clientStats())}\n`);
  }

  /** A connection may have sent requests before this run (an earlier run, the tenant-size probe). */
  #clientStats(): ClientStats {
    const now = this.#opts.clientStats();
    return this.#baseline ? statsSince(this.#baseline, now) : now;
  }

  #clear(): void {
    if (!this.#opts.tty || this.#drawn === 0) return;
    this.#opts.out.write(`\x1b[${this.#drawn}A\x1b[J`);
    this.#drawn = 0;
  }

  #redraw(): void {
    const now = this.#now();
    const lines = [...this.#streams.values()].map((s) => formatStreamLine(s, now));
    lines.push(formatClientLine(this.#clientStats()));
    this.#clear();
    this.#opts.out.write(`${lines.join("\n")}\n`);
    this.#drawn = lines.length;
  }
}
