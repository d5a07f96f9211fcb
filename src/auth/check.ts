import { decodeClaims, grantedPermissions } from "../common/claims.ts";
import type { TokenProvider } from "../common/tokens.ts";
import type { ConnectorConfig } from "../config/load.ts";
import { type ConnectorError, GraphError, toConnectorError } from "../errors.ts";
import type { GraphClient } from "../graph/types.ts";
import { type CapabilityResult, evaluateCapabilities, permissionsToAdd } from "./capabilities.ts";
import { adminConsentUrl } from "./credentials.ts";

export interface CheckReport {
  ok: boolean;
  tenantId: string;
  clientId: string;
  authorityHost: string;
  graphUrl: string;
  token: { kind: "app" | "delegated"; permissions: string[]; expiresAt: string } | undefined;
  organization: { id: string; displayName: string; verifiedDomain?: string } | undefined;
  /** Why Graph refused to read /organization, if it did. */
  organizationError: string | undefined;
  capabilities: CapabilityResult[];
  permissionsToAdd: string[];
  consentUrl: string;
  /**
   * What stopped the check: the sign-in failure when no token could be had (`token` unset), or a
   * failure to reach Graph at all (TLS, DNS, network) when reading /organization.
   */
  error: ReturnType<ConnectorError["toJSON"]> | undefined;
}

interface Organization {
  id: string;
  displayName: string;
  verifiedDomains?: { name: string; isDefault?: boolean }[];
}

/**
 * The connection check: sign in afresh (mapping sign-in failures to cause and fix), read its
 * roles/scp, read /organization, and say for each asked capability whether it is usable and which
 * permission to add otherwise. Never throws for a failed check; the report says what failed.
 */
export async function checkConnection(
  config: ConnectorConfig,
  tokens: TokenProvider,
  graph: GraphClient,
  capabilityIds: string[],
  signal?: AbortSignal,
): Promise<CheckReport> {
  const consentUrl = adminConsentUrl(config);
  const report: CheckReport = {
    ok: false,
    tenantId: config.tenantId,
    clientId: config.clientId,
    authorityHost: config.authorityHost,
    graphUrl: config.graphUrl,
    token: undefined,
    organization: undefined,
    organizationError: undefined,
    capabilities: [],
    permissionsToAdd: [],
    consentUrl,
    error: undefined,
  };
  let granted: ReturnType<typeof grantedPermissions>;
  try {
    // A connection test: a cached token proves nothing about the credential configured now.
    const token = await tokens.signIn(signal);
    granted = grantedPermissions(decodeClaims(token.accessToken));
    report.tenantId = token.tenantId;
    report.token = {
      kind: granted.kind,
      permissions: granted.names,
      expiresAt: new Date(token.expiresAt).toISOString(),
    };
  } catch (err) {
    report.error = toConnectorError(err, signal).toJSON();
    report.capabilities = evaluateCapabilities([], capabilityIds);
    report.permissionsToAdd = permissionsToAdd(report.capabilities);
    return report;
  }
  try {
    const orgs = await graph.get<{ value: Organization[] }>(
      "/organization?$select=id,displayName,verifiedDomains",
      signal ? { signal } : {},
    );
    const org = orgs.value[0];
    if (org) {
      report.organization = { id: org.id, displayName: org.displayName };
      const domain = org.verifiedDomains?.find((d) => d.isDefault)?.name ?? org.verifiedDomains?.[0]?.name;
      if (domain) report.organization.verifiedDomain = domain;
    }
  } catch (err) {
    // Only Graph's own refusal is a finding about permissions; a failure to reach Graph (TLS, DNS,
    // a reset) says nothing about them and is reported as itself, with its fix.
    if (!(err instanceof GraphError)) {
      report.error = toConnectorError(err, signal).toJSON();
      return report;
    }
    report.organizationError = err.message;
  }
  report.capabilities = evaluateCapabilities(granted.names, capabilityIds);
  report.permissionsToAdd = permissionsToAdd(report.capabilities);
  report.ok =
    report.capabilities.every((c) => c.granted || c.optional !== undefined) &&
    report.organization !== undefined;
  return report;
}
