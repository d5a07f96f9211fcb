/** Every Graph route the emulator serves, registered on one router. */
import { registerApplicationRoutes } from "./applications.ts";
import { registerAuditLogRoutes } from "./audit-logs.ts";
import { registerBatchRoutes } from "./batch.ts";
import { registerDeletedItemRoutes } from "./deleted-items.ts";
import { registerDeltaRoutes } from "./delta/routes.ts";
import { registerDirectoryObjectRoutes } from "./directory-objects.ts";
import { registerGroupMemberRoutes } from "./group-members.ts";
import { registerGroupRoutes } from "./groups.ts";
import { registerLicenseRoutes } from "./licenses.ts";
import { registerOrganizationRoutes } from "./organization.ts";
import { registerRoleEligibilityRoutes } from "./role-eligibility.ts";
import { registerRoleManagementRoutes } from "./role-management.ts";
import { registerDirectoryRoleRoutes } from "./roles.ts";
import type { Router } from "./router.ts";
import { registerServicePrincipalRoutes } from "./service-principals.ts";
import { registerUserRoutes } from "./users.ts";

export function registerGraphRoutes(router: Router): void {
  registerUserRoutes(router);
  registerGroupRoutes(router);
  registerGroupMemberRoutes(router);
  registerDirectoryObjectRoutes(router);
  registerDeltaRoutes(router);
  registerBatchRoutes(router);
  registerApplicationRoutes(router);
  registerOrganizationRoutes(router);
  registerDirectoryRoleRoutes(router);
  registerRoleManagementRoutes(router);
  registerRoleEligibilityRoutes(router);
  registerServicePrincipalRoutes(router);
  registerLicenseRoutes(router);
  registerDeletedItemRoutes(router);
  registerAuditLogRoutes(router);
}
