/**
 * Microsoft's published base costs for identity and access (docs/graph.md#throttling; any request not listed costs 1). A cost
 * for `me/…` also applies to `users/{id}/…`. A listed collection's delta function and a type cast of
 * a listed relationship read the same objects, so they cost what the collection costs; `$count` lists
 * nothing and costs 1. Reads sent as POST (`getByIds`, `checkMemberGroups`…) spend no write budget.
 */
const BASE_COSTS: readonly { method: string; path: RegExp; ru: number; write: 0 | 1 }[] = [
  { method: "GET", path: /^\/applications(\/(microsoft\.graph\.)?delta(\(\))?)?$/i, ru: 2, write: 0 },
  { method: "GET", path: /^\/applications\/[^/]+\/extensionProperties$/i, ru: 2, write: 0 },
  { method: "GET", path: /^\/contracts$/i, ru: 3, write: 0 },
  { method: "GET", path: /^\/domains\/[^/]+\/domainNameReferences$/i, ru: 4, write: 0 },
  { method: "GET", path: /^\/groups\/[^/]+\/members(\/microsoft\.graph\.[^/]+)?$/i, ru: 3, write: 0 },
  {
    method: "GET",
    path: /^\/groups\/[^/]+\/transitiveMembers(\/microsoft\.graph\.[^/]+)?$/i,
    ru: 5,
    write: 0,
  },
  {
    method: "GET",
    path: /^\/(me|users\/[^/]+)\/(licenseDetails|memberOf|ownedObjects|transitiveMemberOf)(\/microsoft\.graph\.[^/]+)?$/i,
    ru: 2,
    write: 0,
  },
  { method: "GET", path: /^\/oauth2PermissionGrants(\/[^/]+)?$/i, ru: 2, write: 0 },
  { method: "GET", path: /^\/servicePrincipals\/[^/]+\/appRoleAssignments$/i, ru: 2, write: 0 },
  { method: "GET", path: /^\/subscribedSkus$/i, ru: 3, write: 0 },
  { method: "GET", path: /^\/users(\/(microsoft\.graph\.)?delta(\(\))?)?$/i, ru: 2, write: 0 },
  { method: "POST", path: /^\/(directoryObjects\/getByIds|getObjectsById)$/i, ru: 3, write: 0 },
  { method: "POST", path: /^\/(me|users\/[^/]+)\/(checkMemberGroups|checkMemberObjects)$/i, ru: 4, write: 0 },
  { method: "POST", path: /^\/(me|users\/[^/]+)\/(getMemberGroups|getMemberObjects)$/i, ru: 2, write: 0 },
  { method: "POST", path: /^\/isMemberOf$/i, ru: 4, write: 0 },
];

/** A URL or a path relative to the version root, as the path after the version and the query. */
function split(url: string): { path: string; query: URLSearchParams } {
  const q = url.indexOf("?");
  const path = (q < 0 ? url : url.slice(0, q))
    .replace(/^https?:\/\/[^/]+/, "")
    .replace(/^\/(v1\.0|beta)(?=\/|$)/, "")
    .replace(/\/+$/, "");
  return { path, query: new URLSearchParams(q < 0 ? "" : url.slice(q + 1)) };
}

/**
 * What a request costs, as Graph charges identity and access: the base cost above, then `$select` −1,
 * `$expand` +1, `$top` below 20 −1, never below 1; one write unit for a write. The one estimate the
 * limiter spends before the answer's `x-ms-resource-unit` says the truth, and the run statistics count.
 */
export function requestCharge(method: string, url: string): Charge {
  const { path, query } = split(url);
  const base = BASE_COSTS.find((c) => c.method === method && c.path.test(path));
  let ru = base?.ru ?? 1;
  if (query.has("$select")) ru -= 1;
  if (query.has("$expand")) ru += 1;
  const top = query.get("$top");
  if (top !== null && Number(top) < 20) ru -= 1;
  const writes = method === "GET" ? 0 : (base?.write ?? 1);
  return { ru: Math.max(1, ru), writes, bulk: false };
}

/** The resource units of one request (see `requestCharge`). */
export function estimateCost(method: string, url: string): number {
  return requestCharge(method, url).ru;
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
