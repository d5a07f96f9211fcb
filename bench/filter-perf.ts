/**
 * The emulator's compiled `$filter` over a whole xl tenant: routes compile a filter once per request
 * and run it over every user, so one pass must stay far below a request's page latency. Prints
 * milliseconds per pass for each filter (median of 5 passes after a warm-up).
 *
 *   npx node bench/filter-perf.ts
 */
import { performance } from "node:perf_hooks";
import { parseQueryOptions, queryPredicate } from "../packages/graph-emulator/src/odata/query-options.ts";
import { users } from "../packages/graph-emulator/src/odata/resources.ts";

const COUNT = 100_000;
const SKU = "c7df2760-2c81-4ef7-b578-5b5392b571df";
const objects = Array.from({ length: COUNT }, (_, i) => ({
  id: `00000000-0000-0000-0000-${String(i).padStart(12, "0")}`,
  displayName: `User ${i} Example`,
  mail: i % 10 === 0 ? null : `user${i}@contoso.com`,
  userPrincipalName: `user${i}@contoso.com`,
  accountEnabled: i % 7 !== 0,
  userType: i % 20 === 0 ? "Guest" : "Member",
  createdDateTime: new Date(Date.UTC(2020, 0, 1) + i * 60_000).toISOString(),
  assignedLicenses: i % 3 === 0 ? [{ skuId: SKU, disabledPlans: [] }] : [],
  proxyAddresses: [`SMTP:user${i}@contoso.com`],
}));

const FILTERS = [
  "startsWith(displayName,'User 99') and accountEnabled eq true",
  `assignedLicenses/any(x:x/skuId eq ${SKU}) and userType eq 'Member'`,
  "endsWith(mail,'7@contoso.com') or mail eq null",
  "proxyAddresses/any(p:startsWith(p,'smtp:user12'))",
  "createdDateTime ge 2020-02-01T00:00:00Z and createdDateTime le 2020-02-15T00:00:00Z",
];

const RUNS = 5;
for (const filter of FILTERS) {
  const match = queryPredicate(parseQueryOptions(new URLSearchParams({ $filter: filter }), users));
  let hits = 0;
  for (const o of objects) if (match(o)) hits++; // warm-up pass
  const times: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const start = performance.now();
    for (const o of objects) match(o);
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(RUNS / 2)]!;
  console.log(`${median.toFixed(1)} ms/pass over ${COUNT} users, ${hits} hits: ${filter}`);
}
