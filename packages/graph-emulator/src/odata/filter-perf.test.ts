import assert from "node:assert/strict";
import { performance } from "node:perf_hooks";
import { it } from "node:test";
import { parseQueryOptions, queryPredicate } from "./query-options.ts";
import { users } from "./resources.ts";

// Routes compile a filter once per request and run it over the whole tenant (xl: 100k users), so a
// pass must cost a few milliseconds. The bound below is loose (shared CI cores); the figure is reported.
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

it(`compiled $filter scans ${COUNT} users in a few milliseconds`, (t) => {
  for (const filter of FILTERS) {
    const match = queryPredicate(parseQueryOptions(new URLSearchParams({ $filter: filter }), users));
    let hits = 0;
    for (const o of objects) if (match(o)) hits++; // warm-up pass
    const runs = 5;
    const start = performance.now();
    for (let r = 0; r < runs; r++) {
      hits = 0;
      for (const o of objects) if (match(o)) hits++;
    }
    const ms = (performance.now() - start) / runs;
    t.diagnostic(`${ms.toFixed(1)} ms/pass, ${hits} hits: ${filter}`);
    assert.ok(hits > 0);
    assert.ok(ms < 250, `${filter} took ${ms.toFixed(1)} ms per pass`);
  }
});
