import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { ODataError } from "./errors.ts";
import { groups, users } from "./resources.ts";
import { compileSearch, words } from "./search.ts";

const people = [
  {
    id: "1",
    displayName: "Adele Walters",
    mail: "adele@contoso.com",
    userPrincipalName: "adele@contoso.com",
  },
  { id: "2", displayName: "Joanne Ann-Marie", mail: "ann@contoso.com", userPrincipalName: "jo@contoso.com" },
  { id: "3", displayName: "AnnaLee", mail: null, userPrincipalName: "annalee@fabrikam.com" },
];
const found = (search: string) => people.filter(compileSearch(search, users).predicate).map((p) => p.id);

describe("$search", () => {
  it("matches displayName by word prefix, splitting on symbols and camel case", () => {
    assert.deepEqual(found('"displayName:wa"'), ["1"]);
    assert.deepEqual(found('"displayName:ann"'), ["2", "3"]);
    assert.deepEqual(found('"displayName:oan"'), []);
    assert.deepEqual(found('"displayName:lee anna"'), ["3"]);
    assert.deepEqual(words("AnnaLee O'Brien-Smith"), ["anna", "lee", "o", "brien", "smith"]);
  });

  it("matches other properties by whole-value prefix", () => {
    assert.deepEqual(found('"mail:ann@"'), ["2"]);
    assert.deepEqual(found('"userPrincipalName:ANNA"'), ["3"]);
  });

  it("combines clauses with AND/OR (AND first) and parentheses", () => {
    assert.deepEqual(found('"displayName:ann" OR "mail:adele"'), ["1", "2", "3"]);
    assert.deepEqual(found('"displayName:ann" AND "mail:ann"'), ["2"]);
    assert.deepEqual(found('"mail:adele" OR "displayName:ann" AND "userPrincipalName:jo"'), ["1", "2"]);
    assert.deepEqual(found('("mail:adele" OR "displayName:ann") AND "userPrincipalName:a"'), ["1", "3"]);
  });

  it("searches group descriptions word by word", () => {
    const { predicate } = compileSearch('"description:payroll"', groups);
    assert.equal(predicate({ description: "Team for Payroll-Ops" }), true);
    assert.equal(predicate({ description: null }), false);
  });

  it("refuses what Graph refuses", () => {
    const refused = (search: string, code: string, message: RegExp) =>
      assert.throws(
        () => compileSearch(search, users),
        (e: unknown) =>
          e instanceof ODataError && e.status === 400 && e.code === code && message.test(e.message),
        search,
      );
    refused("displayName:'x'", "BadRequest", /^Syntax error: character ':' is not valid at position 11/);
    refused('"ann"', "Request_UnsupportedQuery", /^This query is not supported\.$/);
    refused('"accountEnabled:true"', "Request_UnsupportedQuery", /^This query is not supported\.$/);
    refused('"nope:x"', "BadRequest", /^Could not find a property named 'nope'/);
    refused('"displayName:a" and "mail:b"', "Request_UnsupportedQuery", /not supported/);
    refused('"displayName:a" OR', "BadRequest", /^Syntax error at position 18/);
    refused('"displayName:a', "BadRequest", /unterminated string literal at position 0/);
  });

  it("never throws anything but a 400 ODataError on arbitrary input", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom('"', "(", ")", " ", "AND", "OR", "displayName:", "a", "\\", ":") }),
        (s) => {
          try {
            compileSearch(s, users).predicate({ displayName: "a" });
          } catch (error) {
            if (!(error instanceof ODataError) || error.status !== 400) throw error;
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
