/**
 * Per-stream request and resource-unit accounting. The client counts totals for the whole run, but
 * streams share it concurrently, so each stream counts what it asked for itself; RU are estimated
 * with Microsoft's documented costs (graph-behaviour.md §11), which is what the limiter spends.
 */

export interface StreamMeter {
  requests: number;
  resourceUnits: number;
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

export function newMeter(): StreamMeter {
  return { requests: 0, resourceUnits: 0 };
}

/** Counts one request (path known) on the meter. */
export function count(meter: StreamMeter, pathOrUrl: string): void {
  meter.requests += 1;
  meter.resourceUnits += estimateResourceUnits(pathOrUrl);
}

/** Takes the figures counted since the last call (what the page being committed cost). */
export function drain(meter: StreamMeter): StreamMeter {
  const out = { requests: meter.requests, resourceUnits: meter.resourceUnits };
  meter.requests = 0;
  meter.resourceUnits = 0;
  return out;
}
