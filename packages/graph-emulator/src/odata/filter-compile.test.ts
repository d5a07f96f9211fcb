import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ODataError } from "./errors.ts";
import { compileFilter, type Obj } from "./filter-compile.ts";
import { groups, servicePrincipals, users } from "./resources.ts";

const SKU = "c7df2760-2c81-4ef7-b578-5b5392b571df";
const ann: Obj = {
  id: "11111111-1111-1111-1111-111111111111",
  displayName: "Ann O'Brien",
  givenName: "Ann",
  mail: "Ann.OBrien@contoso.com",
  userPrincipalName: "ann@contoso.com",
  accountEnabled: true,
  userType: "Member",
  jobTitle: null,
  createdDateTime: "2021-05-01T10:00:00Z",
  assignedLicenses: [{ skuId: SKU, disabledPlans: [] }],
  proxyAddresses: ["SMTP:ann@contoso.com", "smtp:ann.obrien@contoso.com"],
  otherMails: [],
  onPremisesExtensionAttributes: { extensionAttribute1: "Finance" },
};
const bob: Obj = {
  id: "22222222-2222-2222-2222-222222222222",
  displayName: "Bob Stone",
  mail: null,
  userPrincipalName: "bob@fabrikam.com",
  accountEnabled: false,
  userType: "Guest",
  createdDateTime: "2019-01-01T00:00:00Z",
  assignedLicenses: [],
  proxyAddresses: [],
};

function matching(filter: string, objects: readonly Obj[] = [ann, bob]): string[] {
  const { predicate } = compileFilter(filter, users);
  return objects.filter(predicate).map((o) => String(o.displayName));
}

function rejects(filter: string, code: string, message: RegExp | string): void {
  assert.throws(
    () => compileFilter(filter, users),
    (error: unknown) => {
      assert.ok(error instanceof ODataError, `expected ODataError, got ${error}`);
      assert.equal(error.status, 400);
      assert.equal(error.code, code);
      if (typeof message === "string") assert.equal(error.message, message);
      else assert.match(error.message, message);
      return true;
    },
  );
}

describe("$filter evaluation", () => {
  it("compares directory strings case-insensitively", () => {
    assert.deepEqual(matching("mail eq 'ann.obrien@CONTOSO.com'"), ["Ann O'Brien"]);
    assert.deepEqual(matching("startsWith(userPrincipalName,'BOB@')"), ["Bob Stone"]);
    assert.deepEqual(matching("endswith(mail,'@contoso.com')"), ["Ann O'Brien"]);
  });

  it("reads doubled single quotes as one quote", () => {
    assert.deepEqual(matching("displayName eq 'Ann O''Brien'"), ["Ann O'Brien"]);
  });

  it("gives or lower precedence than and, and not binds to one comparison", () => {
    assert.deepEqual(matching("userType eq 'Guest' or accountEnabled eq true and givenName eq 'nobody'"), [
      "Bob Stone",
    ]);
    assert.deepEqual(matching("(userType eq 'Guest' or accountEnabled eq true) and givenName eq 'Ann'"), [
      "Ann O'Brien",
    ]);
    assert.deepEqual(matching("not accountEnabled eq true and userType eq 'Guest'"), ["Bob Stone"]);
    assert.deepEqual(matching("not(startsWith(displayName,'A'))"), ["Bob Stone"]);
  });

  it("handles null comparisons, missing properties counting as null", () => {
    assert.deepEqual(matching("mail eq null"), ["Bob Stone"]);
    assert.deepEqual(matching("mail ne null"), ["Ann O'Brien"]);
    assert.deepEqual(matching("jobTitle eq null"), ["Ann O'Brien", "Bob Stone"]);
  });

  it("evaluates in, booleans, GUID literals and datetimes", () => {
    assert.deepEqual(matching(`id in ('${String(bob.id).toUpperCase()}', 'x')`), ["Bob Stone"]);
    assert.deepEqual(matching("accountEnabled eq false"), ["Bob Stone"]);
    assert.deepEqual(matching("createdDateTime ge 2020-01-01T00:00:00Z"), ["Ann O'Brien"]);
    assert.deepEqual(matching("createdDateTime le 2020-01-01"), ["Bob Stone"]);
  });

  it("evaluates lambdas over complex and primitive collections", () => {
    assert.deepEqual(matching(`assignedLicenses/any(x:x/skuId eq ${SKU})`), ["Ann O'Brien"]);
    assert.deepEqual(matching(`assignedLicenses/any(x:x/skuId eq ${SKU.toUpperCase()})`), ["Ann O'Brien"]);
    assert.deepEqual(
      matching(`assignedLicenses/any(x:x/skuId in (${SKU}, 00000000-0000-0000-0000-000000000000))`),
      ["Ann O'Brien"],
    );
    assert.deepEqual(matching("proxyAddresses/any(p:startsWith(p,'smtp:ann.'))"), ["Ann O'Brien"]);
    assert.deepEqual(matching("assignedLicenses/any()"), ["Ann O'Brien"]);
    assert.deepEqual(matching("proxyAddresses/all(p:startsWith(p,'smtp:'))"), ["Ann O'Brien", "Bob Stone"]);
    const g = compileFilter("groupTypes/any(c:c eq 'unified')", groups).predicate;
    assert.equal(g({ groupTypes: ["Unified"] }), true);
    assert.equal(g({ groupTypes: [] }), false);
  });

  it("counts collection items with /$count", () => {
    assert.deepEqual(matching("assignedLicenses/$count eq 0"), ["Bob Stone"]);
    assert.deepEqual(matching("proxyAddresses/$count ge 2"), ["Ann O'Brien"]);
  });

  it("follows property paths into complex values", () => {
    assert.deepEqual(matching("onPremisesExtensionAttributes/extensionAttribute1 eq 'finance'"), [
      "Ann O'Brien",
    ]);
  });

  it("accepts a literal on the left by mirroring the operator", () => {
    assert.deepEqual(matching("2020-01-01T00:00:00Z le createdDateTime"), ["Ann O'Brien"]);
  });

  it("records each property and operator it uses", () => {
    const { uses, complexLambdas } = compileFilter(
      "not(endsWith(mail,'@x.com')) and proxyAddresses/any(p:p eq 'a') and mail ne null",
      users,
    );
    assert.deepEqual(uses, [
      { path: "mail", op: "endsWith" },
      { path: "mail", op: "not" },
      { path: "proxyAddresses", op: "eq" },
      { path: "mail", op: "null" },
      { path: "mail", op: "ne" },
    ]);
    assert.deepEqual(complexLambdas, []);
    const complex = compileFilter("servicePrincipalNames/any(n:n eq 'a' or n eq 'b')", servicePrincipals);
    assert.deepEqual(complex.complexLambdas, ["servicePrincipalNames"]);
  });
});

describe("$filter errors", () => {
  it("names an unknown property the way Graph's parser does", () => {
    rejects(
      "foo eq 'x'",
      "BadRequest",
      "Could not find a property named 'foo' on type 'microsoft.graph.user'.",
    );
    rejects(
      "onPremisesExtensionAttributes/nope eq 'x'",
      "BadRequest",
      "Could not find a property named 'nope' on type 'microsoft.graph.user'.",
    );
  });

  it("resolves property names in any letter case, as Graph does", () => {
    assert.deepEqual(matching("AccountEnabled eq false"), ["Bob Stone"]);
    assert.deepEqual(matching("onpremisesextensionattributes/EXTENSIONATTRIBUTE1 eq 'finance'"), [
      "Ann O'Brien",
    ]);
    assert.deepEqual(compileFilter("ASSIGNEDLICENSES/any(x:x/SKUID eq " + SKU + ")", users).uses, [
      { path: "assignedLicenses", op: "eq" },
    ]);
  });

  it("refuses a quoted GUID for a Guid property", () => {
    rejects(
      `assignedLicenses/any(x:x/skuId eq '${SKU}')`,
      "BadRequest",
      "Invalid filter clause: A binary operator with incompatible types was detected. Found operand types 'Edm.Guid' and 'Edm.String' for operator kind 'Equal'.",
    );
  });

  it("refuses a quoted boolean (a classic Graph mistake) as an invalid filter clause", () => {
    rejects(
      "accountEnabled eq 'true'",
      "BadRequest",
      "Invalid filter clause: A binary operator with incompatible types was detected. Found operand types 'Edm.Boolean' and 'Edm.String' for operator kind 'Equal'.",
    );
  });

  it("reports syntax errors with their position", () => {
    rejects("displayName eq", "BadRequest", "Syntax error at position 14 in 'displayName eq'.");
    rejects(
      "displayName eq 'x",
      "BadRequest",
      "There is an unterminated string literal at position 15 in 'displayName eq 'x'.",
    );
    rejects("displayName eq 'a' and (", "BadRequest", /^Syntax error at position 24 /);
    rejects(
      "mail eq #",
      "BadRequest",
      "Syntax error: character '#' is not valid at position 8 in 'mail eq #'.",
    );
    rejects("displayName eq 'a' 'b'", "BadRequest", /^Syntax error at position 19 /);
    rejects("", "BadRequest", /^Syntax error at position 0/);
  });

  it("refuses collections compared as scalars and scalars used as collections", () => {
    rejects("proxyAddresses eq 'x'", "BadRequest", /^Invalid filter clause: .*proxyAddresses\/any/);
    rejects("mail/any(m:m eq 'x')", "BadRequest", /^Invalid filter clause/);
    rejects("startsWith(mail, displayName)", "BadRequest", /^Invalid filter clause/);
    rejects("'a' eq 'b'", "BadRequest", /^Invalid filter clause/);
  });

  it("refuses nested lambdas as a complex query", () => {
    rejects(
      "assignedLicenses/any(x:x/disabledPlans/any(p:p eq 1))",
      "Request_UnsupportedQuery",
      "Complex query on property assignedLicenses is not supported.",
    );
  });

  it("refuses pathologically deep nesting without overflowing the stack", () => {
    rejects(`${"(".repeat(5000)}mail eq 'a'${")".repeat(5000)}`, "BadRequest", /^Syntax error/);
    rejects(`${"not ".repeat(5000)}mail eq 'a'`, "BadRequest", /^Syntax error/);
  });
});
