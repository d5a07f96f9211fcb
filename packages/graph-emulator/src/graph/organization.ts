/**
 * GET /organization (a one-item collection) and /organization/{id}: the tenant itself, the cheap call
 * connectors use as a connection check (graph-behaviour.md §7). The organization resource returns its
 * whole documented default set, mostly null, with `id` first (§13).
 */
import type { TenantModel } from "../tenant/model.ts";
import { graphErrors } from "./errors.ts";
import { PERMISSIONS } from "./permissions.ts";
import { collectionReply, entityReply } from "./respond.ts";
import type { Router } from "./router.ts";

/** The tenant's creation time is not modelled; a fixed date keeps answers reproducible. */
const CREATED = "2019-03-12T17:42:05Z";

export function organizationObject(tenant: TenantModel): Record<string, unknown> {
  const { info } = tenant;
  const [initial, ...custom] = info.domains;
  const used = (["user", "group", "servicePrincipal", "application"] as const).reduce(
    (n, k) => n + tenant.count(k),
    0,
  );
  const verifiedDomains = [
    {
      capabilities: "Email, OfficeCommunicationsOnline",
      isDefault: custom.length === 0,
      isInitial: true,
      name: initial,
      type: "Managed",
    },
    ...custom.map((name, i) => ({
      capabilities: "Email",
      isDefault: i === 0,
      isInitial: false,
      name,
      type: "Managed",
    })),
  ];
  return {
    id: info.id,
    deletedDateTime: null,
    businessPhones: [],
    city: null,
    country: null,
    countryLetterCode: "US",
    createdDateTime: CREATED,
    defaultUsageLocation: null,
    displayName: info.displayName,
    isMultipleDataLocationsForServicesEnabled: null,
    marketingNotificationEmails: [],
    onPremisesLastSyncDateTime: null,
    onPremisesSyncEnabled: null,
    partnerTenantType: null,
    postalCode: null,
    preferredLanguage: "en",
    securityComplianceNotificationMails: [],
    securityComplianceNotificationPhones: [],
    state: null,
    street: null,
    technicalNotificationMails: [],
    tenantType: "AAD",
    directorySizeQuota: { used, total: 300000 },
    privacyProfile: null,
    assignedPlans: [],
    onPremisesSyncStatus: [],
    provisionedPlans: [],
    verifiedDomains,
  };
}

export function registerOrganizationRoutes(router: Router): void {
  router.add({
    method: "GET",
    path: "/organization",
    permissions: PERMISSIONS.organizationRead,
    handler: (ctx) => collectionReply(ctx, "organization", { items: [organizationObject(ctx.tenant)] }),
  });
  router.add({
    method: "GET",
    path: "/organization/{id}",
    permissions: PERMISSIONS.organizationRead,
    handler: (ctx) => {
      const id = ctx.params["id"] as string;
      if (id.toLowerCase() !== ctx.tenant.info.id.toLowerCase()) throw graphErrors.notFound(id);
      return entityReply(ctx, "organization/$entity", organizationObject(ctx.tenant));
    },
  });
}
