/**
 * The lower bound the emulator's model allows a sync of one tenant: the larger of the RU it spends ÷ the
 * tenant's read budget and the longest chain of dependent list pages × their modelled latency (60 ms +
 * 0.6 ms per object). bench/multi-tenant.ts measures against it; bench/run.ts against the RU part alone,
 * since partitioned listing takes the page chain out of a large tenant's way.
 */
import { READ_BUDGET, tenantSizeFor } from "../src/graph/limiter.ts";

export const COUNTS: Record<string, { users: number; groups: number; apps: number }> = {
  l: { users: 20_000, groups: 2_000, apps: 500 },
  xl: { users: 100_000, groups: 10_000, apps: 2_000 },
  m: { users: 2_000, groups: 300, apps: 100 },
  s: { users: 40, groups: 12, apps: 6 },
};
const PAGE = 999;

/** RU per ms of the read budget Graph gives a tenant of this emulated size. */
export function budgetRuPerMs(size: string): number {
  return READ_BUDGET[tenantSizeFor(COUNTS[size]?.users ?? 0)] / 10_000;
}

export function chainBoundMs(size: string): number {
  const c = COUNTS[size] ?? { users: 0, groups: 0, apps: 0 };
  const chain = (n: number) => Math.ceil(n / PAGE) * (60 + 0.6 * Math.min(n, PAGE));
  return Math.max(chain(c.users), chain(c.groups), chain(c.apps));
}

/** A full sync's bound; an incremental one has no chain worth counting, only its RU. */
export function boundMs(size: string, ru: number, full: boolean): number {
  const spend = ru / budgetRuPerMs(size);
  return full ? Math.max(spend, chainBoundMs(size)) : spend;
}
