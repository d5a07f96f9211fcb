import { APP_NAMES, BUILT_IN_ROLES, SKUS } from "./catalog.ts";
import type { TenantModel } from "./model.ts";
import type { Random } from "./random.ts";
import { activateRole, eligibilitySchedule, scheduleInfo } from "./roles.ts";
import type { TenantCounts } from "./sizes.ts";
import { isoSeconds } from "./time.ts";
import type { GraphObject } from "./types.ts";

/** The app role every assignment without a specific role uses (docs/graph.md#roles-and-apps). */
export const DEFAULT_ACCESS_ROLE = "00000000-0000-0000-0000-000000000000";

interface DirectoryInputs {
  users: GraphObject[];
  groups: GraphObject[];
  counts: TenantCounts;
  now: number;
  adminId: string;
}

/** Enterprise apps with assignments, directory roles with assignments and eligibilities, SKUs and licences. */
export function addAppsRolesAndLicenses(model: TenantModel, random: Random, input: DirectoryInputs): void {
  addApps(model, random, input);
  addRoles(model, random, input);
  addLicenses(model, random, input);
}

/** An app role assignment id: Graph uses 43-character base64url ids, not GUIDs. */
export function assignmentId(random: Random): string {
  return Buffer.from(
    random.uuid().replaceAll("-", "") + random.uuid().replaceAll("-", "").slice(0, 32),
    "hex",
  )
    .toString("base64url")
    .slice(0, 43);
}

export function appRoleAssignment(
  random: Random,
  principal: GraphObject,
  principalType: "User" | "Group" | "ServicePrincipal",
  resource: GraphObject,
  appRoleId: string,
  created: number,
): GraphObject {
  return {
    id: assignmentId(random),
    appRoleId,
    createdDateTime: isoSeconds(created),
    principalDisplayName: principal["displayName"],
    principalId: principal.id,
    principalType,
    resourceDisplayName: resource["displayName"],
    resourceId: resource.id,
  };
}

function addApps(model: TenantModel, random: Random, input: DirectoryInputs): void {
  const { users, groups, counts, now } = input;
  const principals = users.filter((u) => u["accountEnabled"] === true);
  let budget = Math.round(users.length * counts.assignmentsPerUser);
  for (let i = 0; i < counts.apps; i++) {
    const managedIdentity = random.chance(0.15);
    const displayName = `${APP_NAMES[i % APP_NAMES.length]}${i >= APP_NAMES.length ? ` ${Math.floor(i / APP_NAMES.length)}` : ""}`;
    const appId = random.uuid();
    const created = isoSeconds(now - random.int(3 * 365 * 86_400) * 1000);
    const appRoles = managedIdentity
      ? []
      : Array.from({ length: random.int(4) }, (_, r) => ({
          allowedMemberTypes: ["User"],
          description: `${["Reader", "Contributor", "Admin"][r % 3]} of ${displayName}`,
          displayName: ["Reader", "Contributor", "Admin"][r % 3],
          id: random.uuid(),
          isEnabled: true,
          origin: "Application",
          value: ["Read", "Write", "Admin"][r % 3],
        }));
    if (!managedIdentity) {
      model.insert("application", {
        id: random.uuid(),
        appId,
        displayName,
        createdDateTime: created,
        signInAudience: "AzureADMyOrg",
        publisherDomain: model.info.domains[0],
        appRoles,
        identifierUris: [`api://${appId}`],
        tags: [],
      });
    }
    const sp = model.insert("servicePrincipal", {
      id: random.uuid(),
      appId,
      displayName: managedIdentity
        ? `mi-${displayName.toLowerCase().replace(/[^a-z0-9]/g, "-")}`
        : displayName,
      accountEnabled: !random.chance(0.03),
      servicePrincipalType: managedIdentity ? "ManagedIdentity" : "Application",
      appOwnerOrganizationId: model.info.id,
      appRoleAssignmentRequired: !managedIdentity && random.chance(0.7),
      appRoles,
      servicePrincipalNames: managedIdentity ? [appId] : [appId, `api://${appId}`],
      tags: managedIdentity ? [] : ["WindowsAzureActiveDirectoryIntegratedApp"],
      createdDateTime: created,
    });
    if (!managedIdentity && principals.length > 0 && random.chance(0.3)) {
      model.addOwner("servicePrincipal", sp.id, random.pick(principals).id);
    }
    if (managedIdentity || budget <= 0) continue;
    // Assignments follow a long tail too: early apps (the big SaaS ones) get most.
    const share = Math.min(budget, Math.ceil((budget * 2) / (counts.apps - i + 1)) + random.int(5));
    const roleIds = appRoles.length ? appRoles.map((r) => r.id) : [DEFAULT_ACCESS_ROLE];
    const seen = new Set<string>();
    for (let a = 0; a < share && principals.length > 0; a++) {
      const viaGroup = groups.length > 0 && random.chance(0.1);
      const principal = viaGroup ? random.pick(groups) : random.pick(principals);
      if (seen.has(principal.id)) continue;
      seen.add(principal.id);
      const created = now - random.int(365 * 86_400) * 1000;
      model.insert(
        "appRoleAssignment",
        appRoleAssignment(random, principal, viaGroup ? "Group" : "User", sp, random.pick(roleIds), created),
      );
      budget -= 1;
    }
  }
}

function addRoles(model: TenantModel, random: Random, input: DirectoryInputs): void {
  const { users, now } = input;
  const members = users.filter((u) => u["userType"] === "Member" && u["accountEnabled"] === true);
  const scale = Math.max(1, Math.round(users.length / 2000));
  BUILT_IN_ROLES.forEach(([displayName, templateId, description], index) => {
    const definition = model.insert("roleDefinition", {
      id: templateId,
      description,
      displayName,
      isBuiltIn: true,
      isEnabled: true,
      resourceScopes: ["/"],
      templateId,
      version: "1",
      rolePermissions: [
        {
          allowedResourceActions: [`microsoft.directory/${displayName.replace(/\s/g, "")}/allTasks`],
          condition: null,
        },
      ],
      inheritsPermissionsFrom: [],
    });
    // About two thirds of the built-in roles are activated (have a directoryRole object).
    const activated = index < Math.ceil((BUILT_IN_ROLES.length * 2) / 3);
    if (activated) activateRole(model, definition, random.uuid());
    const assigned = index === 0 ? [input.adminId] : [];
    if (activated && members.length > 0) {
      const count = index === 0 ? 2 + random.int(3) : random.int(3 * scale + 1);
      for (let i = 0; i < count; i++) assigned.push(random.pick(members).id);
    }
    for (const principalId of new Set(assigned)) {
      model.insert("roleAssignment", {
        id: `${assignmentId(random)}-1`,
        principalId,
        roleDefinitionId: templateId,
        directoryScopeId: "/",
      });
    }
    if (!model.info.hasP2 || members.length === 0) return;
    const eligible = random.int(2 * scale + 1);
    for (let i = 0; i < eligible; i++) {
      const start = now - random.int(180 * 86_400) * 1000;
      const bounded = random.chance(0.5);
      model.insert(
        "roleEligibilitySchedule",
        eligibilitySchedule({
          id: random.uuid(),
          principalId: random.pick(members).id,
          roleDefinitionId: templateId,
          created: start,
          scheduleInfo: scheduleInfo(start, bounded ? start + 365 * 86_400_000 : undefined),
        }),
      );
    }
  });
}

function addLicenses(model: TenantModel, random: Random, input: DirectoryInputs): void {
  const skus = SKUS.filter(([part]) => model.info.hasP2 || !/P2|E5|EMSPREMIUM/.test(part)).slice(
    0,
    input.counts.skus,
  );
  for (const [skuPartNumber, skuId, plans] of skus) {
    model.insert("subscribedSku", {
      id: `${model.info.id}_${skuId}`,
      accountName: "contoso",
      accountId: model.info.id,
      appliesTo: "User",
      capabilityStatus: "Enabled",
      consumedUnits: 0,
      prepaidUnits: { enabled: 0, lockedOut: 0, suspended: 0, warning: 0 },
      servicePlans: plans.map((servicePlanName) => ({
        servicePlanId: random.uuid(),
        servicePlanName,
        provisioningStatus: "Success",
        appliesTo: "User",
      })),
      skuId,
      skuPartNumber,
      subscriptionIds: [random.uuid()],
    });
  }
  if (skus.length === 0) return;
  // Most licensed members hold one of the first few (suite) SKUs; some hold an add-on as well.
  const suites = skus.slice(0, Math.min(3, skus.length));
  for (const user of input.users) {
    if (user["userType"] !== "Member" || user["usageLocation"] === undefined || !random.chance(0.75))
      continue;
    const add = [{ skuId: random.pick(suites)[1], disabledPlans: [] as string[] }];
    if (skus.length > 3 && random.chance(0.3)) {
      const addOn = skus[3 + random.int(skus.length - 3)] as (typeof skus)[number];
      if (addOn[1] !== add[0]?.skuId) add.push({ skuId: addOn[1], disabledPlans: [] });
    }
    model.assignLicenses(user.id, add, []);
  }
  // Seats: consumption plus headroom, except the last SKU, which is exactly full (no free seats).
  skus.forEach(([, skuId], index) => {
    const sku = model.skuBySkuId(skuId) as GraphObject;
    const consumed = sku["consumedUnits"] as number;
    const full = index === skus.length - 1 && consumed > 0;
    const enabled = full ? consumed : consumed + Math.ceil(consumed * 0.1) + 5 + random.int(20);
    sku["prepaidUnits"] = { enabled, lockedOut: 0, suspended: 0, warning: 0 };
  });
}
