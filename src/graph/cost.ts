/**
 * Resource-unit cost of a request as Microsoft documents it for identity and access
 * (graph-behaviour.md §11): base cost by resource, −1 with $select, +1 with $expand, −1 with $top < 20,
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
