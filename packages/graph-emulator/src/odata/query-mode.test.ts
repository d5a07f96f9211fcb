import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ODataError } from "./errors.ts";
import { checkQueryMode, type QueryModeInput } from "./query-mode.ts";
import { parseQueryOptions } from "./query-options.ts";
import type { ResourceSpec } from "./resource-spec.ts";
import { groups, roleAssignments, servicePrincipals, users } from "./resources.ts";

const EVENTUAL: QueryModeInput = { consistencyLevel: "eventual" };

function mode(query: string, input: QueryModeInput = {}, spec: ResourceSpec = users) {
  return checkQueryMode(parseQueryOptions(new URLSearchParams(query), spec), spec, input);
}

function refused(query: string, input: QueryModeInput, message: string, spec: ResourceSpec = users): void {
  assert.throws(
    () => mode(query, input, spec),
    (error: unknown) =>
      error instanceof ODataError &&
      error.status === 400 &&
      error.code === "Request_UnsupportedQuery" &&
      error.message === message,
  );
}

const HINT = (op: string) =>
  `Operator '${op}' is not supported because the required parameters might be missing. ` +
  "Try adding $count=true query parameter and ConsistencyLevel:eventual header. " +
  "Refer to https://aka.ms/graph-docs/advanced-queries for more information";

describe("default queries", () => {
  it("allow eq, in, startsWith, lambdas and date ranges on the documented properties", () => {
    for (const q of [
      "$filter=startsWith(displayName,'a') or mail eq 'a@b.c' or userPrincipalName in ('x')",
      "$filter=accountEnabled eq true and userType eq 'Guest'",
      "$filter=assignedLicenses/any(x:x/skuId eq c7df2760-2c81-4ef7-b578-5b5392b571df)",
      "$filter=createdDateTime ge 2021-01-01T00:00:00Z and createdDateTime le 2022-01-01T00:00:00Z",
      "$filter=proxyAddresses/any(p:startsWith(p,'smtp:'))",
      "$orderby=displayName desc",
    ]) {
      assert.deepEqual(mode(q), { advanced: false, includeCount: false }, q);
    }
  });

  it("point ne, not and endsWith at the advanced-query parameters", () => {
    refused("$filter=endsWith(mail,'@contoso.com')", {}, HINT("endsWith"));
    refused("$filter=accountEnabled ne true", {}, HINT("ne"));
    refused("$filter=not(startsWith(displayName,'a'))", {}, HINT("not"));
    // The header alone is not enough, and neither is $count=true alone.
    refused("$filter=endsWith(mail,'@contoso.com')", EVENTUAL, HINT("endsWith"));
    refused("$filter=endsWith(mail,'@contoso.com')&$count=true", {}, HINT("endsWith"));
  });

  it("refuse advanced-only properties and null comparisons with the property message", () => {
    refused(
      "$filter=companyName eq 'Contoso'",
      {},
      "Unsupported or invalid query filter clause specified for property 'companyName' of resource 'User'.",
    );
    refused(
      "$filter=mail eq null",
      {},
      "Unsupported or invalid query filter clause specified for property 'mail' of resource 'User'.",
    );
    refused(
      "$filter=appRoleAssignmentRequired eq true",
      {},
      "Unsupported or invalid query filter clause specified for property 'appRoleAssignmentRequired' of resource 'ServicePrincipal'.",
      servicePrincipals,
    );
  });

  it("refuse $filter with $orderby, and unsortable keys", () => {
    refused(
      "$filter=startsWith(displayName,'a')&$orderby=displayName",
      {},
      "Sorting not supported for current query.",
    );
    refused("$orderby=createdDateTime", {}, "Unsupported sort property 'createdDateTime' for 'User'.");
    refused(
      "$filter=startsWith(displayName,'a')&$orderby=displayName",
      {},
      "Sorting not supported for current query.",
      groups,
    );
  });

  it("refuse multi-clause lambdas", () => {
    refused(
      "$filter=assignedPlans/any(a:a/servicePlanId eq 2e2ddb96-6af9-4b1d-a3f0-d6ecfd22edb2 and a/capabilityStatus eq 'Suspended')",
      {},
      "Complex query on property assignedPlans is not supported.",
    );
  });

  it("silently ignore $count=true without the header", () => {
    assert.deepEqual(mode("$count=true"), { advanced: false, includeCount: false });
  });

  it("require the header for $search", () => {
    refused(
      '$search="displayName:ann"',
      {},
      "Request with $search query parameter only works through MSGraph with a special request header: 'ConsistencyLevel: eventual'",
    );
  });
});

describe("advanced queries (ConsistencyLevel: eventual + $count=true)", () => {
  it("unlock ne, not, endsWith, null, advanced-only properties and filter+orderby", () => {
    for (const q of [
      "$filter=endsWith(mail,'@contoso.com')&$orderby=userPrincipalName",
      "$filter=accountEnabled ne true",
      "$filter=not(groupTypes/any(c:c eq 'Unified'))",
      "$filter=mail eq null or companyName eq 'Contoso'",
      "$filter=onPremisesExtensionAttributes/extensionAttribute1 eq 'x'",
      "$orderby=createdDateTime desc",
      "$filter=assignedPlans/any(a:a/servicePlanId eq 2e2ddb96-6af9-4b1d-a3f0-d6ecfd22edb2 and a/capabilityStatus eq 'Suspended')",
    ]) {
      const spec = q.includes("groupTypes") ? groups : users;
      assert.deepEqual(mode(`${q}&$count=true`, EVENTUAL, spec), { advanced: true, includeCount: true }, q);
    }
  });

  it("count $search with the header alone as advanced, without @odata.count", () => {
    assert.deepEqual(mode("$search=\"displayName:ann\"&$filter=endsWith(mail,'@x.com')", EVENTUAL), {
      advanced: true,
      includeCount: false,
    });
  });

  it("still refuse operators a property never supports", () => {
    refused(
      "$filter=principalId ne 'x'&$count=true",
      EVENTUAL,
      "Unsupported property filter clause operator 'NotEqualsMatch'.",
      roleAssignments,
    );
    refused(
      "$filter=contains(displayName,'a')&$count=true",
      EVENTUAL,
      "Unsupported property filter clause operator 'Contains'.",
    );
    refused(
      "$filter=endsWith(displayName,'a')&$count=true",
      EVENTUAL,
      "Unsupported or invalid query filter clause specified for property 'displayName' of resource 'User'.",
    );
    refused(
      "$filter=passwordProfile/password eq 'x'&$count=true",
      EVENTUAL,
      "Unsupported or invalid query filter clause specified for property 'passwordProfile/password' of resource 'User'.",
    );
  });

  it("allow collection $count comparisons", () => {
    assert.equal(mode("$filter=assignedLicenses/$count eq 0&$count=true", EVENTUAL).advanced, true);
    refused(
      "$filter=assignedLicenses/$count eq 0",
      {},
      "Unsupported or invalid query filter clause specified for property 'assignedLicenses' of resource 'User'.",
    );
  });

  it("forbid $expand", () => {
    refused(
      "$expand=manager&$count=true",
      EVENTUAL,
      "$expand is not supported with advanced query parameters.",
    );
    assert.deepEqual(mode("$expand=manager", EVENTUAL), { advanced: false, includeCount: false });
  });

  it("read the header case-insensitively and let a route force $count", () => {
    assert.deepEqual(mode("", { consistencyLevel: "Eventual", countRequested: true }), {
      advanced: true,
      includeCount: true,
    });
  });
});
