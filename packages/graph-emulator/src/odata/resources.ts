/**
 * Capability tables for the resources the emulator serves. Sources: docs/graph.md (#users to #query-options, #response-shapes),
 * and Microsoft's "advanced query capabilities on directory objects" tables (aad-advanced-queries.md):
 * "default | advanced-only" operator lists per property, default property sets in the order Graph sends
 * them. `ne` and `not` are advanced-only everywhere; null comparisons too.
 */
import {
  many,
  one,
  type PropertySpec,
  type QueryOptionName,
  type ResourceSpec,
  type SearchMode,
} from "./resource-spec.ts";

const ALL_OPTIONS: readonly QueryOptionName[] = [
  "$select",
  "$filter",
  "$orderby",
  "$top",
  "$count",
  "$search",
  "$expand",
  "$skiptoken",
];

// Common capability strings.
const TEXT = "eq in startsWith | ne not null";
const TEXT_ENDS = "eq in startsWith | ne not endsWith null";
const ADV_TEXT = "| eq in startsWith ne not null";
const BOOL = "eq | ne not null";
const ID = "eq in | ne not";
const DATE = "eq ge le | in ne not null";
const ANY_TEXT = "eq startsWith | not endsWith null";

const str = (f?: string, search?: SearchMode): PropertySpec =>
  one("String", { ...(f ? { f } : {}), ...(search ? { search } : {}) });
const strs = (f?: string, search?: SearchMode): PropertySpec =>
  many("String", { ...(f ? { f } : {}), ...(search ? { search } : {}) });
const bool = (f?: string): PropertySpec => one("Boolean", f ? { f } : {});
const date = (f?: string): PropertySpec => one("DateTimeOffset", f ? { f } : {});
const guid = (f?: string): PropertySpec => one("Guid", f ? { f } : {});
const complex = (properties: Record<string, PropertySpec> = {}, f?: string): PropertySpec =>
  one("Complex", { properties, ...(f ? { f } : {}) });
const complexes = (properties: Record<string, PropertySpec> = {}, f?: string): PropertySpec =>
  many("Complex", { properties, ...(f ? { f } : {}) });

const ID_PROP = str(ID);

const assignedLicense = { skuId: guid(), disabledPlans: many("Guid") };
const extensionAttributes: Record<string, PropertySpec> = {};
for (let i = 1; i <= 15; i++) extensionAttributes[`extensionAttribute${i}`] = str(ADV_TEXT);

const servicePlanInfo = {
  servicePlanId: guid(),
  servicePlanName: str(),
  provisioningStatus: str(),
  appliesTo: str(),
};
const appRole = {
  allowedMemberTypes: strs(),
  description: str(),
  displayName: str(),
  id: guid(),
  isEnabled: bool(),
  origin: str(),
  value: str(),
};

// Shared by applications and their service principals.
const appInfo = complex({
  logoUrl: str(),
  marketingUrl: str(),
  privacyStatementUrl: str(),
  supportUrl: str(),
});
const keyCredentials = complexes({ keyId: guid(), type: str(), usage: str(), endDateTime: date() });
const passwordCredentials = complexes({ keyId: guid(), displayName: str(), endDateTime: date() });
const verifiedPublisher = complex({ displayName: str(), verifiedPublisherId: str(), addedDateTime: date() });

interface ResourceInput {
  readonly name: string;
  readonly entityType: string;
  readonly label: string;
  readonly properties: Record<string, PropertySpec>;
  readonly defaultSelect?: readonly string[];
  readonly idPosition: ResourceSpec["idPosition"];
  readonly options?: readonly QueryOptionName[];
  readonly sortable?: readonly string[];
  readonly sortableAdvanced?: readonly string[];
  readonly expandable?: readonly string[];
  readonly maxPage?: number;
}

function resource(input: ResourceInput): ResourceSpec {
  const sortable = input.sortable ?? [];
  return {
    name: input.name,
    entityType: input.entityType,
    label: input.label,
    properties: input.properties,
    defaultSelect: input.defaultSelect ?? Object.keys(input.properties),
    idPosition: input.idPosition,
    options: new Set(input.options ?? ALL_OPTIONS),
    sortable: {
      default: new Set(sortable),
      advanced: new Set([...sortable, ...(input.sortableAdvanced ?? [])]),
    },
    expandable: new Set(input.expandable ?? []),
    pageSize: { default: 100, max: input.maxPage ?? 999 },
  };
}

export const users: ResourceSpec = resource({
  name: "users",
  entityType: "microsoft.graph.user",
  label: "User",
  idPosition: "last",
  defaultSelect: [
    "businessPhones",
    "displayName",
    "givenName",
    "jobTitle",
    "mail",
    "mobilePhone",
    "officeLocation",
    "preferredLanguage",
    "surname",
    "userPrincipalName",
    "id",
  ],
  properties: {
    id: ID_PROP,
    businessPhones: strs("eq | not null"),
    displayName: str(TEXT, "tokenized"),
    givenName: str(TEXT, "prefix"),
    jobTitle: str(TEXT, "prefix"),
    mail: str(TEXT_ENDS, "prefix"),
    mobilePhone: str(TEXT),
    officeLocation: str(ADV_TEXT),
    preferredLanguage: str("eq | ne not in startsWith null"),
    surname: str(TEXT, "prefix"),
    userPrincipalName: str(TEXT_ENDS, "prefix"),
    accountEnabled: bool(BOOL),
    ageGroup: str("| eq ne not in null"),
    assignedLicenses: complexes(assignedLicense, "eq | not null"),
    assignedPlans: complexes(
      { assignedDateTime: date(), capabilityStatus: str(), service: str(), servicePlanId: guid() },
      "eq | not null",
    ),
    city: str(TEXT),
    companyName: str(ADV_TEXT),
    country: str(TEXT),
    createdDateTime: date(DATE),
    creationType: str("eq | ne not in null"),
    deletedDateTime: date(),
    department: str(TEXT),
    employeeHireDate: date("| eq ne not ge le in null"),
    employeeId: str("eq in startsWith | ne not ge le null"),
    employeeType: str(ADV_TEXT),
    externalUserState: str("eq | ne not in null"),
    externalUserStateChangeDateTime: date("| eq ne not ge le in null"),
    faxNumber: str(ADV_TEXT),
    identities: complexes({ signInType: str(), issuer: str(), issuerAssignedId: str() }, "eq | not"),
    imAddresses: strs("eq | not null"),
    isResourceAccount: bool(),
    lastPasswordChangeDateTime: date(),
    licenseAssignmentStates: complexes({ skuId: guid(), state: str(), error: str(), assignedByGroup: str() }),
    mailNickname: str("eq in startsWith | ne not endsWith null", "prefix"),
    onPremisesDistinguishedName: str(),
    onPremisesDomainName: str(),
    onPremisesExtensionAttributes: complex(extensionAttributes),
    onPremisesImmutableId: str("eq in | ne not null"),
    onPremisesLastSyncDateTime: date("eq ge le | in ne not null"),
    onPremisesSamAccountName: str("eq in startsWith | ne not null"),
    onPremisesSecurityIdentifier: str("eq | ne not in null"),
    onPremisesSyncEnabled: bool(BOOL),
    onPremisesUserPrincipalName: str("eq in startsWith | ne not null"),
    otherMails: strs(ANY_TEXT, "prefix"),
    passwordPolicies: str("| eq ne not in null"),
    passwordProfile: complex({ forceChangePasswordNextSignIn: bool(), password: str() }),
    postalCode: str(ADV_TEXT),
    preferredDataLocation: str(ADV_TEXT),
    provisionedPlans: complexes({ capabilityStatus: str(), provisioningStatus: str(), service: str() }),
    proxyAddresses: strs(ANY_TEXT, "prefix"),
    showInAddressList: bool("| eq ne not null"),
    signInSessionsValidFromDateTime: date(),
    state: str(TEXT),
    streetAddress: str(ADV_TEXT),
    usageLocation: str("eq | ne not in startsWith null"),
    userType: str("eq | ne not in null"),
  },
  sortable: ["displayName", "userPrincipalName"],
  sortableAdvanced: ["createdDateTime", "mail", "givenName", "surname"],
  expandable: [
    "manager",
    "directReports",
    "memberOf",
    "transitiveMemberOf",
    "ownedObjects",
    "licenseDetails",
    "appRoleAssignments",
  ],
});

export const groups: ResourceSpec = resource({
  name: "groups",
  entityType: "microsoft.graph.group",
  label: "Group",
  idPosition: "first",
  properties: {
    id: ID_PROP,
    deletedDateTime: date(),
    classification: str("eq in startsWith | ne not null"),
    createdDateTime: date(DATE),
    creationOptions: strs(),
    description: str(ADV_TEXT, "tokenized"),
    displayName: str(TEXT, "tokenized"),
    expirationDateTime: date("| eq ne not ge le in null"),
    groupTypes: strs("eq | not null"),
    isAssignableToRole: bool(BOOL),
    mail: str(TEXT_ENDS, "prefix"),
    mailEnabled: bool(BOOL),
    mailNickname: str(TEXT, "prefix"),
    membershipRule: str("| eq ne not in startsWith null"),
    membershipRuleProcessingState: str("eq | ne not in null"),
    onPremisesDomainName: str(),
    onPremisesLastSyncDateTime: date("eq ge le | in ne not null"),
    onPremisesNetBiosName: str(),
    onPremisesSamAccountName: str("eq in startsWith | ne not null"),
    onPremisesSecurityIdentifier: str("eq in | ne not null"),
    onPremisesSyncEnabled: bool(BOOL),
    preferredDataLocation: str(ADV_TEXT),
    preferredLanguage: str(ADV_TEXT),
    proxyAddresses: strs(ANY_TEXT, "prefix"),
    renewedDateTime: date("eq ge le | in ne not null"),
    resourceBehaviorOptions: strs("eq | not"),
    resourceProvisioningOptions: strs("eq | not"),
    securityEnabled: bool(BOOL),
    securityIdentifier: str("eq in startsWith | ne not null"),
    theme: str(),
    uniqueName: str("eq in startsWith | ne not null"),
    visibility: str("| eq ne not in null"),
    onPremisesProvisioningErrors: complexes({ category: str(), propertyCausingError: str(), value: str() }),
    serviceProvisioningErrors: complexes({
      createdDateTime: date(),
      isResolved: bool(),
      serviceInstance: str(),
    }),
  },
  sortable: ["displayName"],
  sortableAdvanced: ["createdDateTime", "mail", "mailNickname"],
  expandable: [
    "members",
    "owners",
    "memberOf",
    "transitiveMembers",
    "transitiveMemberOf",
    "appRoleAssignments",
  ],
});

export const servicePrincipals: ResourceSpec = resource({
  name: "servicePrincipals",
  entityType: "microsoft.graph.servicePrincipal",
  label: "ServicePrincipal",
  idPosition: "first",
  properties: {
    id: ID_PROP,
    deletedDateTime: date(),
    accountEnabled: bool(BOOL),
    alternativeNames: strs("eq | not null"),
    appDisplayName: str(ADV_TEXT),
    appDescription: str(),
    appId: str("eq in | ne not null", "prefix"),
    applicationTemplateId: str("eq | ne not in null"),
    appOwnerOrganizationId: str("eq | ne not in null"),
    appRoleAssignmentRequired: bool("| eq ne not"),
    createdByAppId: str(),
    createdDateTime: date(),
    description: str(ADV_TEXT, "tokenized"),
    disabledByMicrosoftStatus: str("| eq ne not in null"),
    displayName: str(TEXT_ENDS, "tokenized"),
    homepage: str("eq startsWith | ne not in null"),
    isDisabled: bool(),
    loginUrl: str(),
    logoutUrl: str(),
    notes: str(),
    notificationEmailAddresses: strs(),
    preferredSingleSignOnMode: str("eq | ne not in null"),
    preferredTokenSigningKeyThumbprint: str(),
    replyUrls: strs("eq startsWith | not null"),
    servicePrincipalNames: strs("eq startsWith | not endsWith null", "prefix"),
    servicePrincipalType: str("eq | ne not in null"),
    signInAudience: str("eq | ne not in null"),
    tags: strs("eq startsWith | not null"),
    tokenEncryptionKeyId: str(),
    samlSingleSignOnSettings: complex({ relayState: str() }),
    addIns: complexes(),
    appRoles: complexes(appRole),
    info: appInfo,
    keyCredentials,
    oauth2PermissionScopes: complexes({ id: guid(), value: str(), type: str() }),
    passwordCredentials,
    resourceSpecificApplicationPermissions: complexes(),
    verifiedPublisher,
  },
  sortable: ["displayName"],
  sortableAdvanced: ["createdDateTime"],
  expandable: ["appRoleAssignedTo", "appRoleAssignments", "owners", "memberOf", "transitiveMemberOf"],
});

export const applications: ResourceSpec = resource({
  name: "applications",
  entityType: "microsoft.graph.application",
  label: "Application",
  idPosition: "first",
  properties: {
    id: ID_PROP,
    deletedDateTime: date(),
    appId: str("eq in | ne not null", "prefix"),
    applicationTemplateId: str("eq | ne not in null"),
    disabledByMicrosoftStatus: str("| eq ne not in null"),
    createdDateTime: date(DATE),
    displayName: str(TEXT_ENDS, "tokenized"),
    description: str(ADV_TEXT, "tokenized"),
    groupMembershipClaims: str(),
    identifierUris: strs("eq | not endsWith null", "prefix"),
    isDeviceOnlyAuthSupported: bool(),
    isFallbackPublicClient: bool("eq | ne not null"),
    notes: str(),
    publisherDomain: str("eq in startsWith | ne not null"),
    serviceManagementReference: str("eq in startsWith | ne not null"),
    signInAudience: str("eq in | ne not null"),
    tags: strs("eq startsWith | not null"),
    tokenEncryptionKeyId: str(),
    samlMetadataUrl: str(),
    defaultRedirectUri: str(),
    certification: complex(),
    optionalClaims: complex(),
    requestSignatureVerification: complex(),
    addIns: complexes(),
    api: complex(),
    appRoles: complexes(appRole),
    info: appInfo,
    keyCredentials,
    parentalControlSettings: complex(),
    passwordCredentials,
    publicClient: complex({ redirectUris: strs() }),
    requiredResourceAccess: complexes({ resourceAppId: str(), resourceAccess: complexes() }),
    verifiedPublisher,
    web: complex({ homePageUrl: str(), logoutUrl: str(), redirectUris: strs() }),
    spa: complex({ redirectUris: strs() }),
  },
  sortable: ["displayName"],
  sortableAdvanced: ["createdDateTime"],
  expandable: ["owners"],
});

/** Activated roles only; the service takes no query options and does not page (§7). */
export const directoryRoles: ResourceSpec = resource({
  name: "directoryRoles",
  entityType: "microsoft.graph.directoryRole",
  label: "DirectoryRole",
  idPosition: "first",
  properties: {
    id: ID_PROP,
    deletedDateTime: date(),
    description: str(),
    displayName: str(),
    roleTemplateId: str(),
  },
  options: [],
});

export const roleDefinitions: ResourceSpec = resource({
  name: "roleManagement/directory/roleDefinitions",
  entityType: "microsoft.graph.unifiedRoleDefinition",
  label: "UnifiedRoleDefinition",
  idPosition: "first",
  properties: {
    id: ID_PROP,
    description: str(),
    displayName: str("eq startsWith"),
    isBuiltIn: bool("eq"),
    isEnabled: bool("eq"),
    resourceScopes: strs(),
    templateId: str("eq"),
    version: str(),
    rolePermissions: complexes({ allowedResourceActions: strs(), condition: str() }),
  },
  options: ["$select", "$filter", "$top", "$skiptoken", "$expand"],
  expandable: ["inheritsPermissionsFrom"],
});

export const roleAssignments: ResourceSpec = resource({
  name: "roleManagement/directory/roleAssignments",
  entityType: "microsoft.graph.unifiedRoleAssignment",
  label: "UnifiedRoleAssignment",
  idPosition: "first",
  properties: {
    id: ID_PROP,
    principalId: str("eq in"),
    resourceScope: str(),
    directoryScopeId: str("eq"),
    roleDefinitionId: str("eq in"),
    appScopeId: str("eq"),
  },
  options: ["$select", "$filter", "$top", "$skiptoken", "$expand", "$count"],
  expandable: ["principal", "roleDefinition", "directoryScope", "appScope"],
});

export const roleEligibilitySchedules: ResourceSpec = resource({
  name: "roleManagement/directory/roleEligibilitySchedules",
  entityType: "microsoft.graph.unifiedRoleEligibilitySchedule",
  label: "UnifiedRoleEligibilitySchedule",
  idPosition: "first",
  properties: {
    id: ID_PROP,
    principalId: str("eq in"),
    roleDefinitionId: str("eq in"),
    directoryScopeId: str("eq"),
    appScopeId: str("eq"),
    createdUsing: str(),
    createdDateTime: date(),
    modifiedDateTime: date(),
    status: str("eq"),
    scheduleInfo: complex({
      startDateTime: date(),
      expiration: complex({ type: str(), endDateTime: date(), duration: str() }),
    }),
    memberType: str("eq"),
  },
  options: ["$select", "$filter", "$top", "$skiptoken", "$expand", "$count"],
  expandable: ["principal", "roleDefinition"],
});

/** Only $select; the list is small and never pages (§6). */
export const subscribedSkus: ResourceSpec = resource({
  name: "subscribedSkus",
  entityType: "microsoft.graph.subscribedSku",
  label: "SubscribedSku",
  idPosition: "asListed",
  properties: {
    accountName: str(),
    accountId: str(),
    appliesTo: str(),
    capabilityStatus: str(),
    consumedUnits: one("Int32"),
    id: str(),
    prepaidUnits: complex({
      enabled: one("Int32"),
      lockedOut: one("Int32"),
      suspended: one("Int32"),
      warning: one("Int32"),
    }),
    servicePlans: complexes(servicePlanInfo),
    skuId: guid(),
    skuPartNumber: str(),
    subscriptionIds: strs(),
  },
  options: ["$select"],
});

/** Members, owners, memberOf and deleted-item collections are typed as directoryObject. */
export const directoryObjects: ResourceSpec = resource({
  name: "directoryObjects",
  entityType: "microsoft.graph.directoryObject",
  label: "DirectoryObject",
  idPosition: "first",
  properties: { id: ID_PROP, deletedDateTime: date() },
});

/**
 * Directory audit entries (auditLogs/directoryAudits): filters on time, activity, category, result and
 * service; `or` of activities is the sync's one query. Pages of up to 999.
 */
export const directoryAudits: ResourceSpec = resource({
  name: "auditLogs/directoryAudits",
  entityType: "microsoft.graph.directoryAudit",
  label: "DirectoryAudit",
  idPosition: "first",
  properties: {
    id: str("eq"),
    category: str("eq"),
    correlationId: str("eq"),
    result: str("eq"),
    resultReason: str(),
    activityDisplayName: str("eq startsWith"),
    activityDateTime: date("ge gt le lt"),
    loggedByService: str("eq"),
    operationType: str("eq"),
    initiatedBy: complex({}),
    targetResources: complexes({
      id: str(),
      displayName: str(),
      type: str(),
      userPrincipalName: str(),
      modifiedProperties: complexes({ displayName: str(), oldValue: str(), newValue: str() }),
    }),
    additionalDetails: complexes({ key: str(), value: str() }),
  },
  options: ["$select", "$filter", "$top", "$skiptoken"],
});

export const RESOURCES = {
  users,
  groups,
  servicePrincipals,
  applications,
  directoryRoles,
  roleDefinitions,
  roleAssignments,
  roleEligibilitySchedules,
  subscribedSkus,
  directoryObjects,
  directoryAudits,
} as const satisfies Record<string, ResourceSpec>;

export type ResourceName = keyof typeof RESOURCES;
