/**
 * GET /organization (a one-item collection) and /organization/{id}: the tenant itself, the cheap call
 * connectors use as a connection check (docs/graph.md#roles-and-apps). The organization resource returns its
 * whole documented default set, mostly null, with `id` first (§13).
 */
import type { ResourceSpec } from "../odata/index.ts";
import { many, one, type PropertySpec } from "../odata/resource-spec.ts";
import type { TenantModel } from "../tenant/model.ts";
import type { GraphObject, TenantInfo } from "../tenant/types.ts";
import { listReply, objectReply } from "./collection.ts";
import { graphErrors } from "./errors.ts";
import { PERMISSIONS } from "./permissions.ts";
import type { Router } from "./router.ts";

/** The tenant's creation time is not modelled; a fixed date keeps answers reproducible. */
const CREATED = "2019-03-12T17:42:05Z";

export function organizationObject(tenant: TenantModel): GraphObject {
  const used = (["user", "group", "servicePrincipal", "application"] as const).reduce(
    (n, k) => n + tenant.count(k),
    0,
  );
  return organizationProperties(tenant.info, used);
}

function organizationProperties(info: TenantInfo, used: number): GraphObject {
  const [initial = "", ...custom] = info.domains;
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

/** The organization resource: $select only, every property of the default set selectable. */
const organizationSpec: ResourceSpec = (() => {
  const sample = organizationProperties({ id: "", displayName: "", domains: ["x"], hasP2: false }, 0);
  const properties: Record<string, PropertySpec> = {};
  for (const [name, value] of Object.entries(sample)) {
    const complex = (v: unknown) => typeof v === "object" && v !== null;
    properties[name] = Array.isArray(value)
      ? many(complex(value[0]) ? "Complex" : "String")
      : one(complex(value) ? "Complex" : "String");
  }
  return {
    name: "organization",
    entityType: "microsoft.graph.organization",
    label: "Organization",
    properties,
    defaultSelect: Object.keys(sample),
    idPosition: "first",
    options: new Set(["$select"]),
    sortable: { default: new Set(), advanced: new Set() },
    expandable: new Set(),
    pageSize: { default: 100, max: 999 },
  };
})();

export function registerOrganizationRoutes(router: Router): void {
  const options = { spec: organizationSpec, fragment: "organization" };
  router.add({
    method: "GET",
    path: "/organization",
    permissions: PERMISSIONS.organizationRead,
    handler: (ctx) => listReply(ctx, [organizationObject(ctx.tenant)], options),
  });
  router.add({
    method: "GET",
    path: "/organization/{id}",
    permissions: PERMISSIONS.organizationRead,
    handler: (ctx) => {
      const id = ctx.params["id"] as string;
      if (id.toLowerCase() !== ctx.tenant.info.id.toLowerCase()) throw graphErrors.notFound(id);
      return objectReply(ctx, organizationObject(ctx.tenant), options);
    },
  });
}
