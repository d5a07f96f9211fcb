import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ScopeClause, ScopeOperator, UsersSource } from "./definition.ts";
import { clauseHolds, filtersPass, inScope, userState } from "./scope.ts";

const holds = (
  operator: ScopeOperator,
  property: string,
  data: Record<string, unknown>,
  value?: string | number,
) => clauseHolds({ property, operator, ...(value === undefined ? {} : { value }) } as ScopeClause, data);

describe("scoping filter operators", () => {
  it("EQUALS and NOT EQUALS compare strings exactly, case included, and are both false on null", () => {
    assert.equal(holds("EQUALS", "department", { department: "Sales" }, "Sales"), true);
    assert.equal(holds("EQUALS", "department", { department: "sales" }, "Sales"), false);
    assert.equal(holds("EQUALS", "department", {}, "Sales"), false);
    assert.equal(holds("NOT EQUALS", "department", { department: "sales" }, "Sales"), true);
    assert.equal(holds("NOT EQUALS", "department", { department: "Sales" }, "Sales"), false);
    assert.equal(holds("NOT EQUALS", "department", {}, "Sales"), false);
    assert.equal(holds("NOT EQUALS", "department", { department: "" }, "Sales"), false);
  });

  it("EQUALS matches any value of a multi-valued property", () => {
    assert.equal(holds("EQUALS", "otherMails", { otherMails: ["a@x.test", "b@x.test"] }, "b@x.test"), true);
  });

  it("IS TRUE and IS FALSE read booleans and their string forms, and null as neither", () => {
    assert.equal(holds("IS TRUE", "accountEnabled", { accountEnabled: true }), true);
    assert.equal(holds("IS TRUE", "accountEnabled", { accountEnabled: "True" }), true);
    assert.equal(holds("IS TRUE", "accountEnabled", { accountEnabled: false }), false);
    assert.equal(holds("IS FALSE", "accountEnabled", { accountEnabled: false }), true);
    assert.equal(holds("IS FALSE", "accountEnabled", {}), false);
    assert.equal(holds("IS TRUE", "accountEnabled", {}), false);
  });

  it("IS NULL and IS NOT NULL treat missing, null, empty string and empty list as null", () => {
    for (const data of [{}, { manager: null }, { manager: "" }, { manager: [] }]) {
      assert.equal(holds("IS NULL", "manager", data), true, JSON.stringify(data));
      assert.equal(holds("IS NOT NULL", "manager", data), false, JSON.stringify(data));
    }
    assert.equal(holds("IS NOT NULL", "manager", { manager: "m-1" }), true);
  });

  it("Includes looks for a case-sensitive substring", () => {
    assert.equal(holds("Includes", "jobTitle", { jobTitle: "Senior Engineer" }, "Engineer"), true);
    assert.equal(holds("Includes", "jobTitle", { jobTitle: "Senior Engineer" }, "engineer"), false);
  });

  it("REGEX MATCH tests the pattern anywhere in the value", () => {
    assert.equal(holds("REGEX MATCH", "employeeId", { employeeId: "E-42" }, "^E-[0-9]+$"), true);
    assert.equal(holds("REGEX MATCH", "employeeId", { employeeId: "X-42" }, "^E-"), false);
    assert.equal(holds("REGEX MATCH", "employeeId", {}, ".*"), false);
  });

  it("ENDS_WITH compares the end of the value, case included", () => {
    assert.equal(holds("ENDS_WITH", "mail", { mail: "ann@contoso.com" }, "@contoso.com"), true);
    assert.equal(holds("ENDS_WITH", "mail", { mail: "ann@Contoso.com" }, "@contoso.com"), false);
  });

  it("GREATER_THAN and GREATER_THAN_OR_EQUALS compare integers and refuse anything else", () => {
    assert.equal(holds("GREATER_THAN", "level", { level: 5 }, 4), true);
    assert.equal(holds("GREATER_THAN", "level", { level: "4" }, "4"), false);
    assert.equal(holds("GREATER_THAN_OR_EQUALS", "level", { level: "4" }, 4), true);
    assert.equal(holds("GREATER_THAN_OR_EQUALS", "level", { level: 3 }, 4), false);
    assert.equal(holds("GREATER_THAN", "level", { level: "10" }, "9"), true, "numeric, not lexical");
    assert.equal(holds("GREATER_THAN", "level", { level: "high" }, 1), false);
    assert.equal(holds("GREATER_THAN", "level", {}, 1), false);
  });

  it("reads dotted properties such as extension objects", () => {
    assert.equal(holds("EQUALS", "onPremises.site", { onPremises: { site: "HQ" } }, "HQ"), true);
  });
});

describe("scope", () => {
  const sales: ScopeClause = { property: "department", operator: "EQUALS", value: "Sales" };
  const enabled: ScopeClause = { property: "accountEnabled", operator: "IS TRUE" };
  const hq: ScopeClause = { property: "officeLocation", operator: "EQUALS", value: "HQ" };

  it("ANDs the clauses of a filter and ORs the filters", () => {
    const filter = [[sales, enabled], [hq]];
    assert.equal(filtersPass(filter, { department: "Sales", accountEnabled: true }), true);
    assert.equal(filtersPass(filter, { department: "Sales", accountEnabled: false }), false);
    assert.equal(filtersPass(filter, { officeLocation: "HQ" }), true);
    assert.equal(filtersPass(undefined, {}), true);
  });

  it("requires membership when the mapping names groups, then applies the filters", () => {
    const users: UsersSource = { memberOf: ["Finance"], filter: [[sales]], includeDisabled: false };
    const members = new Set(["u1"]);
    assert.equal(inScope(users, { id: "u1", data: { department: "Sales" } }, members), true);
    assert.equal(inScope(users, { id: "u2", data: { department: "Sales" } }, members), false);
    assert.equal(inScope(users, { id: "u1", data: { department: "IT" } }, members), false);
    assert.throws(() => inScope(users, { id: "u1", data: {} }), /members must be resolved/);
  });

  it("gives deleted, out-of-scope and disabled users their leave state", () => {
    const users: UsersSource = { filter: [[sales]], includeDisabled: false };
    const data = { department: "Sales", accountEnabled: true };
    assert.equal(userState(users, { id: "u", data }), "active");
    assert.equal(userState(users, { id: "u", data, deleted: "soft" }), "softDeleted");
    assert.equal(userState(users, { id: "u", data, deleted: "hard" }), "hardDeleted");
    assert.equal(userState(users, { id: "u", data: { department: "IT" } }), "outOfScope");
    assert.equal(userState(users, { id: "u", data: { ...data, accountEnabled: false } }), "disabled");
    assert.equal(
      userState({ ...users, includeDisabled: true }, { id: "u", data: { ...data, accountEnabled: false } }),
      "active",
    );
  });
});
