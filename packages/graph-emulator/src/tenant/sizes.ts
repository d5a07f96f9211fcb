/** Tenant sizes for `--size`, and the explicit counts that override them. */
export type TenantSizeName = "s" | "m" | "l" | "xl";

export interface TenantCounts {
  users: number;
  groups: number;
  /** Enterprise apps (service principals); about 85% have an app registration. */
  apps: number;
  skus: number;
  /** Average direct group memberships per user (xl: 10 → ~1,000,000). */
  membershipsPerUser: number;
  /** App role assignments per user, on average, across all apps. */
  assignmentsPerUser: number;
}

export const TENANT_SIZES: Record<TenantSizeName, TenantCounts> = {
  s: { users: 40, groups: 12, apps: 6, skus: 8, membershipsPerUser: 3, assignmentsPerUser: 0.5 },
  m: { users: 2_000, groups: 300, apps: 100, skus: 15, membershipsPerUser: 6, assignmentsPerUser: 0.6 },
  l: { users: 20_000, groups: 2_000, apps: 500, skus: 25, membershipsPerUser: 8, assignmentsPerUser: 0.6 },
  xl: {
    users: 100_000,
    groups: 10_000,
    apps: 2_000,
    skus: 30,
    membershipsPerUser: 10,
    assignmentsPerUser: 0.6,
  },
};

export function isTenantSize(value: string): value is TenantSizeName {
  return value === "s" || value === "m" || value === "l" || value === "xl";
}
