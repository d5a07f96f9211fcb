/**
 * Per-stream request and resource-unit accounting. The client counts totals for the whole run, but
 * streams share it concurrently, so each stream counts what it asked for itself; RU are estimated
 * with Microsoft's documented costs (docs/graph.md#throttling), which is what the limiter spends.
 */

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

const BASE_COSTS: [RegExp, number][] = [
  [/\/transitiveMembers(\b|\/|\?|$)/, 5],
  [/\/members(\b|\/|\?|$)/, 3],
  [/^\/?subscribedSkus/, 3],
  [/\/licenseDetails/, 2],
  [/\/memberOf/, 2],
  [/^\/?users(\?|$)/, 2],
  [/^\/?applications(\?|$)/, 2],
];

/** Estimated RU of one GET (path relative to the version root, or a full URL). */
export function estimateResourceUnits(pathOrUrl: string): number {
  const path = pathOrUrl.replace(/^https?:\/\/[^/]+\/(v1\.0|beta)/, "");
  let cost = 1;
  for (const [pattern, c] of BASE_COSTS) {
    if (pattern.test(path)) {
      cost = c;
      break;
    }
  }
  const query = path.includes("?") ? decodeURIComponent(path.slice(path.indexOf("?"))) : "";
  if (query.includes("$select=")) cost -= 1;
  if (query.includes("$expand=")) cost += 1;
  const top = /\$top=(\d+)/.exec(query);
  if (top && Number(top[1]) < 20) cost -= 1;
  return Math.max(1, cost);
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

/** Counts one request (path known) on the meter. */
export function count(meter: StreamMeter, pathOrUrl: string): void {
  meter.requests += 1;
  meter.resourceUnits += estimateResourceUnits(pathOrUrl);
}

/** Counts one `$batch` round trip carrying these reads. */
export function countBatch(meter: StreamMeter, paths: readonly string[]): void {
  meter.requests += 1;
  meter.batchedRequests += paths.length;
  for (const path of paths) meter.resourceUnits += estimateResourceUnits(path);
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
