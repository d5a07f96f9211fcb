/**
 * Resource-unit cost of one request (docs/graph.md#throttling): the route's base cost, then
 * `$select` −1, `$expand` +1, `$top` below 20 −1, never below 1.
 */
export function requestCost(baseCost: number, query: URLSearchParams): number {
  let cost = baseCost;
  if (query.has("$select")) cost -= 1;
  if (query.has("$expand")) cost += 1;
  const top = query.get("$top");
  if (top !== null && Number(top) < 20) cost -= 1;
  return Math.max(1, cost);
}
