import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ODataError } from "./errors.ts";
import { parseQueryOptions, queryPredicate } from "./query-options.ts";
import type { ResourceSpec } from "./resource-spec.ts";
import { directoryRoles, groups, subscribedSkus, users } from "./resources.ts";

const parse = (query: string, spec: ResourceSpec = users) =>
  parseQueryOptions(new URLSearchParams(query), spec);

function refused(
  query: string,
  status: number,
  code: string,
  message: string,
  spec: ResourceSpec = users,
): void {
  assert.throws(
    () => parse(query, spec),
    (error: unknown) => {
      assert.ok(error instanceof ODataError);
      assert.deepEqual(
        { status: error.status, code: error.code, message: error.message },
        { status, code, message },
      );
      return true;
    },
  );
}

describe("parseQueryOptions", () => {
  it("parses every option a list request can carry", () => {
    const q = parse(
      "$select=displayName,id&$filter=startsWith(displayName,'a')&$orderby=displayName desc&$top=5&$count=true" +
        '&$search="displayName:ann"&$expand=manager($select=id)&$skiptoken=abc&api-version=ignored',
    );
    assert.deepEqual(q.select, ["displayName", "id"]);
    assert.equal(q.filter?.text, "startsWith(displayName,'a')");
    assert.deepEqual(q.orderby?.keys, [{ property: "displayName", descending: true }]);
    assert.equal(q.top, 5);
    assert.equal(q.count, true);
    assert.deepEqual(q.search?.properties, ["displayName"]);
    assert.deepEqual(q.expand, { property: "manager", select: ["id"] });
    assert.equal(q.skiptoken, "abc");
  });

  it("combines $filter and $search into one predicate", () => {
    const q = parse('$filter=accountEnabled eq true&$search="displayName:ann"');
    const match = queryPredicate(q);
    assert.equal(match({ displayName: "Ann Lee", accountEnabled: true }), true);
    assert.equal(match({ displayName: "Ann Lee", accountEnabled: false }), false);
    assert.equal(match({ displayName: "Joanne", accountEnabled: true }), false);
    assert.equal(queryPredicate(parse(""))({}), true);
  });

  it("accepts $top between 1 and 999 only", () => {
    assert.equal(parse("$top=999").top, 999);
    assert.equal(parse("$top=1").top, 1);
    refused(
      "$top=1000",
      400,
      "Request_UnsupportedQuery",
      "Invalid page size specified: '1000'. Must be between 1 and 999 inclusive.",
    );
    refused(
      "$top=0",
      400,
      "Request_UnsupportedQuery",
      "Invalid page size specified: '0'. Must be between 1 and 999 inclusive.",
    );
    refused(
      "$top=ten",
      400,
      "BadRequest",
      "Invalid value 'ten' for $top query option found. The $top query option requires a non-negative integer value.",
    );
  });

  it("refuses malformed or repeated options and unknown system options", () => {
    refused("$count=yes", 400, "BadRequest", "'yes' is not a valid count option.");
    refused(
      "$top=1&$top=2",
      400,
      "BadRequest",
      "Query option '$top' was specified more than once, but it must be specified at most once.",
    );
    refused("$foo=1", 400, "BadRequest", "The query parameter '$foo' is not supported.");
    refused("$skip=10", 400, "Request_BadRequest", "'$skip' is not supported by the service.");
  });

  it("refuses unknown $select properties with Graph's parser message", () => {
    refused(
      "$select=displayName,foo",
      400,
      "BadRequest",
      "Parsing OData Select and Expand failed: Could not find a property named 'foo' on type 'microsoft.graph.user'.",
    );
  });

  it("allows one $expand of a known relationship", () => {
    assert.deepEqual(parse("$expand=members($select=id,displayName)", groups).expand, {
      property: "members",
      select: ["id", "displayName"],
    });
    assert.deepEqual(parse("$expand=manager($levels=max;$select=id)").expand, {
      property: "manager",
      select: ["id"],
      levels: "max",
    });
    refused(
      "$expand=manager,memberOf",
      400,
      "BadRequest",
      "The result of parsing $expand contained at least 2 items, but the maximum allowed is 1.",
    );
    refused(
      "$expand=colleagues",
      400,
      "BadRequest",
      "Parsing OData Select and Expand failed: Could not find a property named 'colleagues' on type 'microsoft.graph.user'.",
    );
    refused(
      "$expand=manager($select=id",
      400,
      "BadRequest",
      "Syntax error at position 18 in 'manager($select=id'.",
    );
  });

  it("applies each resource's refusals: subscribedSkus takes only $select, directoryRoles nothing", () => {
    assert.deepEqual(parse("$select=skuId,skuPartNumber", subscribedSkus).select, ["skuId", "skuPartNumber"]);
    const notAllowed = (option: string) =>
      `The query specified in the URI is not valid. Query option '${option}' is not allowed. ` +
      "To allow it, set the 'AllowedQueryOptions' property on EnableQueryAttribute or QueryValidationSettings.";
    refused("$top=5", 400, "BadRequest", notAllowed("Top"), subscribedSkus);
    refused("$filter=skuId eq 'x'", 400, "BadRequest", notAllowed("Filter"), subscribedSkus);
    refused("$select=id", 400, "BadRequest", notAllowed("Select"), directoryRoles);
  });

  it("resolves $select, $orderby and $expand names case-insensitively to their canonical spelling", () => {
    const q = parse("$select=DisplayName,ID&$orderby=userprincipalname&$expand=Manager");
    assert.deepEqual(q.select, ["displayName", "id"]);
    assert.deepEqual(q.orderby?.keys, [{ property: "userPrincipalName", descending: false }]);
    assert.equal(q.expand?.property, "manager");
  });

  it("treats empty option values as absent and ignores parameters without $", () => {
    const q = parse("$select=&$filter=%20&tenant=x");
    assert.equal(q.select, undefined);
    assert.equal(q.filter, undefined);
  });
});
