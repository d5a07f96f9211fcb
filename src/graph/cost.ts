/**
 * Resource-unit cost of a request as Microsoft documents it for identity and access
 * (docs/graph.md#throttling): base cost by resource, −1 with $select, +1 with $expand, −1 with $top < 20,
 * never below 1. Used to spend the budget before the answer's `x-ms-resource-unit` says the truth.
 */
export function estimateCost(method: string, url: string): number {
  const q = url.indexOf("?");
  const path = (q < 0 ? url : url.slice(0, q))
    .replace(/^https?:\/\/[^/]+/, "")
    .replace(/^\/(v1\.0|beta)/, "");
  const query = q < 0 ? "" : decodeURIComponent(url.slice(q + 1));
  let cost = 1;
  if (method === "GET") {
    if (/\/transitiveMembers(\/|$)/.test(path)) cost = 5;
    else if (/^\/groups\/[^/]+\/members(\/|$)/.test(path)) cost = 3;
    else if (/^\/subscribedSkus(\/|$)/.test(path)) cost = 3;
    else if (/^\/users\/?$/.test(path) || /^\/users\/(delta|microsoft\.graph\.delta)/.test(path)) cost = 2;
    else if (/^\/applications(\/|$)/.test(path)) cost = 2;
    else if (/\/licenseDetails(\/|$)/.test(path)) cost = 2;
    else if (/\/memberOf(\/|$)/.test(path)) cost = 2;
    if (/(^|&)\$select=/.test(query)) cost -= 1;
    if (/(^|&)\$expand=/.test(query)) cost += 1;
    const top = /(^|&)\$top=(\d+)/.exec(query);
    if (top && Number(top[2]) < 20) cost -= 1;
  }
  return Math.max(1, cost);
}

/** What one HTTP call spends from the shared budget. */
export interface Charge {
  /** Read resource units (every request spends some, writes included). */
  ru: number;
  /** Write units: one per write. */
  writes: number;
  /** A `$batch`: many requests in one call, served after single requests when the budget runs low. */
  bulk: boolean;
}

export function requestCharge(method: string, url: string): Charge {
  return { ru: estimateCost(method, url), writes: method === "GET" ? 0 : 1, bulk: false };
}

/**
 * A `$batch` costs what its inner requests cost, each on its own (docs/graph.md#batching, #throttling): twenty
 * member reads are 40 RU, not the one request the envelope looks like.
 */
export function batchCharge(requests: readonly { method: string; url: string }[]): Charge {
  let ru = 0;
  let writes = 0;
  for (const r of requests) {
    const c = requestCharge(r.method, r.url);
    ru += c.ru;
    writes += c.writes;
  }
  return { ru, writes, bulk: true };
}

/** What Graph said a call cost and how much of the budget is used (`undefined` = not said). */
export interface ReportedUsage {
  ru: number | undefined;
  percentage: number | undefined;
}

function positive(value: string | undefined): number | undefined {
  const n = Number(value);
  return value !== undefined && Number.isFinite(n) && n > 0 ? n : undefined;
}

interface InnerAnswer {
  status?: number;
  headers?: Record<string, string>;
}

function header(headers: Record<string, string> | undefined, name: string): string | undefined {
  for (const [k, v] of Object.entries(headers ?? {})) if (k.toLowerCase() === name) return String(v);
  return undefined;
}

/**
 * The usage an answer reports. A `$batch` envelope's own headers do not describe its inner requests,
 * so its cost is the sum its inner answers report — without the throttled ones, which Graph refused
 * before charging — and its usage the highest any of them reports.
 */
export function reportedUsage(headers: Record<string, string>, body: unknown): ReportedUsage {
  const inner = (body as { responses?: unknown } | null)?.responses;
  if (!Array.isArray(inner)) {
    return {
      ru: positive(headers["x-ms-resource-unit"]),
      percentage: positive(headers["x-ms-throttle-limit-percentage"]),
    };
  }
  let ru = 0;
  let percentage: number | undefined;
  for (const answer of inner as InnerAnswer[]) {
    const pct = positive(header(answer.headers, "x-ms-throttle-limit-percentage"));
    if (pct !== undefined) percentage = Math.max(percentage ?? 0, pct);
    if (answer.status === 429) continue;
    const cost = positive(header(answer.headers, "x-ms-resource-unit"));
    if (cost === undefined) return { ru: undefined, percentage };
    ru += cost;
  }
  return { ru, percentage };
}
