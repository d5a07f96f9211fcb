/**
 * Per-stream request and resource-unit accounting. The client counts totals for the whole run, but
 * streams share it concurrently, so each stream counts what it asked for itself, at the URL each
 * request went to, priced by the function the limiter spends with (`requestCharge`).
 */
import { estimateCost } from "../graph/cost.ts";
import type { GraphPage } from "../graph/types.ts";

/** What a stream spent. */
export interface StreamCost {
  /** HTTP round trips: a `$batch` envelope is one, whatever it carries. */
  requests: number;
  /** Requests carried inside `$batch` envelopes (Graph charges and throttles each on its own). */
  batchedRequests: number;
  resourceUnits: number;
}

/** A stream's running totals, and what `drain` has already handed on to the run record. */
export interface StreamMeter extends StreamCost {
  drained: StreamCost;
}

const zero = (): StreamCost => ({ requests: 0, batchedRequests: 0, resourceUnits: 0 });

export function newMeter(): StreamMeter {
  return { ...zero(), drained: zero() };
}

/** The meter's totals (what the stream spent in the run). */
export function totals(meter: StreamMeter): StreamCost {
  return {
    requests: meter.requests,
    batchedRequests: meter.batchedRequests,
    resourceUnits: meter.resourceUnits,
  };
}

/** Counts one request on the meter (a path relative to the version root, or a full URL). */
export function count(meter: StreamMeter, pathOrUrl: string, method = "GET"): void {
  meter.requests += 1;
  meter.resourceUnits += estimateCost(method, pathOrUrl);
}

/** The pages of a read starting at `start`, each counted at the link it was read from. */
export async function* metered<T>(
  meter: StreamMeter,
  start: string,
  pages: AsyncIterable<GraphPage<T>>,
): AsyncGenerator<GraphPage<T>> {
  let url = start;
  for await (const page of pages) {
    count(meter, url);
    if (page.nextLink) url = page.nextLink;
    yield page;
  }
}

/** Counts one `$batch` round trip carrying these reads. */
export function countBatch(meter: StreamMeter, paths: readonly string[]): void {
  meter.requests += 1;
  meter.batchedRequests += paths.length;
  for (const path of paths) meter.resourceUnits += estimateCost("GET", path);
}

/** Takes the figures counted since the last call (what the page being committed cost). */
export function drain(meter: StreamMeter): StreamCost {
  const now = totals(meter);
  const out = {
    requests: now.requests - meter.drained.requests,
    batchedRequests: now.batchedRequests - meter.drained.batchedRequests,
    resourceUnits: now.resourceUnits - meter.drained.resourceUnits,
  };
  meter.drained = now;
  return out;
}
