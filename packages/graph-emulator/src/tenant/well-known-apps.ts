import type { LoginApp } from "../login/types.ts";
import type { TenantModel } from "./model.ts";
import type { Random } from "./random.ts";
import { isoSeconds } from "./time.ts";

/**
 * The apps tests and demos sign in with: the primary app (application permissions per `--permissions`),
 * one with a certificate credential, one whose only secret has expired, a disabled one, and a delegated
 * one whose /authorize auto-approves a Global Administrator user. Each is an app registration plus its
 * service principal in the tenant, and a LoginApp record for the login service.
 */
export interface WellKnownApps {
  primary: LoginApp;
  certificate: LoginApp;
  expiredSecret: LoginApp;
  disabled: LoginApp;
  delegated: LoginApp;
  /** The user /authorize signs in for the delegated app. */
  delegatedUserId: string;
}

const DELEGATED_SCOPES = [
  "User.Read",
  "User.ReadWrite.All",
  "Group.ReadWrite.All",
  "Directory.ReadWrite.All",
  "offline_access",
  "openid",
  "profile",
  "email",
];

export function addWellKnownApps(
  model: TenantModel,
  random: Random,
  permissions: string[],
  now: number,
): WellKnownApps {
  const make = (
    name: string,
    opts: { enabled?: boolean; secretExpired?: boolean; permissions?: string[]; scopes?: string[] },
  ): LoginApp => {
    const clientId = random.uuid();
    const servicePrincipalId = random.uuid();
    const created = isoSeconds(now - 86_400_000);
    model.insert("application", {
      id: random.uuid(),
      appId: clientId,
      displayName: name,
      createdDateTime: created,
      signInAudience: "AzureADMyOrg",
      publisherDomain: model.info.domains[0],
      appRoles: [],
      identifierUris: [],
      tags: [],
    });
    model.insert("servicePrincipal", {
      id: servicePrincipalId,
      appId: clientId,
      displayName: name,
      accountEnabled: opts.enabled ?? true,
      servicePrincipalType: "Application",
      appOwnerOrganizationId: model.info.id,
      appRoleAssignmentRequired: false,
      appRoles: [],
      servicePrincipalNames: [clientId],
      tags: ["WindowsAzureActiveDirectoryIntegratedApp"],
      createdDateTime: created,
    });
    return {
      clientId,
      displayName: name,
      enabled: opts.enabled ?? true,
      secrets: [
        {
          keyId: random.uuid(),
          value: secretValue(random),
          expiresAt: opts.secretExpired ? now - 86_400_000 : now + 2 * 365 * 86_400_000,
        },
      ],
      certificates: [],
      appPermissions: opts.permissions ?? [],
      delegatedScopes: opts.scopes ?? [],
      redirectUris: [],
      servicePrincipalId,
    };
  };
  const domain = model.info.domains[1] ?? model.info.domains[0];
  const admin = model.insert("user", {
    id: random.uuid(),
    displayName: "Emulator Admin",
    givenName: "Emulator",
    surname: "Admin",
    userPrincipalName: `admin@${domain}`,
    mail: `admin@${domain}`,
    mailNickname: "admin",
    accountEnabled: true,
    userType: "Member",
    usageLocation: "US",
    jobTitle: "Administrator",
    department: "IT",
    businessPhones: [],
    createdDateTime: isoSeconds(now - 365 * 86_400_000),
  });
  return {
    primary: make("entra-connector (emulator)", { permissions }),
    certificate: make("entra-connector certificate app", { permissions }),
    expiredSecret: make("entra-connector expired secret app", { permissions, secretExpired: true }),
    disabled: make("entra-connector disabled app", { permissions, enabled: false }),
    delegated: make("entra-connector delegated app", { scopes: DELEGATED_SCOPES }),
    delegatedUserId: admin.id,
  };
}

/** Shaped like an Entra client secret value: 40 characters with `~` sixth ("Abc8Q~…"). */
function secretValue(random: Random): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-.";
  let value = "";
  for (let i = 0; i < 40; i++) value += i === 5 ? "~" : alphabet[random.int(alphabet.length)];
  return value;
}
