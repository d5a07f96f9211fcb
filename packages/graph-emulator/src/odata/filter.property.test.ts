import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { ODataError } from "./errors.ts";
import { compileFilter, type Obj } from "./filter-compile.ts";
import { users } from "./resources.ts";

/** How a client must embed a value in a $filter string literal. */
const quote = (value: string): string => `'${value.replaceAll("'", "''")}'`;

const hostile = fc.oneof(
  fc.string({ unit: "grapheme" }),
  fc.string({ unit: fc.constantFrom("'", '"', "(", ")", ",", "/", ":", " ", "\\", "%", "a", "é", "😀") }),
  fc.constantFrom("O'Brien", "''", "' or 1 eq 1 or '", "a') or (mail eq 'x", "\u0000", "ǅ", "İstanbul"),
);

function onlyODataErrors(run: () => unknown): void {
  try {
    run();
  } catch (error) {
    if (!(error instanceof ODataError)) throw error;
    assert.equal(error.status, 400);
  }
}

describe("$filter string literals (property-based)", () => {
  it("round-trip any value through quoting: eq matches exactly that value", () => {
    fc.assert(
      fc.property(hostile, (value) => {
        const { predicate } = compileFilter(`displayName eq ${quote(value)}`, users);
        assert.equal(predicate({ displayName: value }), true);
        assert.equal(predicate({ displayName: `${value}x` }), false);
        assert.equal(
          predicate({ displayName: value.toUpperCase() }),
          value.toUpperCase().toLowerCase() === value.toLowerCase(),
        );
      }),
      { numRuns: 300 },
    );
  });

  it("round-trip any value through quoting inside functions, in-lists and lambdas", () => {
    fc.assert(
      fc.property(hostile, hostile, (value, other) => {
        const filter =
          `startsWith(mail,${quote(value)}) or id in (${quote(other)},${quote(value)})` +
          ` or proxyAddresses/any(p:p eq ${quote(value)})`;
        const { predicate } = compileFilter(filter, users);
        assert.equal(predicate({ mail: `${value}@tail` }), true);
        assert.equal(predicate({ id: other }), true);
        assert.equal(predicate({ proxyAddresses: ["z", value] }), true);
      }),
      { numRuns: 200 },
    );
  });

  it("an injected value never changes the meaning of the filter around it", () => {
    fc.assert(
      fc.property(hostile, (value) => {
        const { predicate, uses } = compileFilter(
          `mail eq ${quote(value)} and accountEnabled eq true`,
          users,
        );
        assert.deepEqual(uses, [
          { path: "mail", op: "eq" },
          { path: "accountEnabled", op: "eq" },
        ]);
        assert.equal(predicate({ mail: value, accountEnabled: false }), false);
      }),
      { numRuns: 200 },
    );
  });

  it("never throws anything but a 400 ODataError on arbitrary input", () => {
    const pieces = fc.constantFrom(
      "displayName",
      "mail",
      "accountEnabled",
      "assignedLicenses",
      "/",
      "any(",
      "all(",
      "x:",
      "x/skuId",
      " eq ",
      " ne ",
      " in ",
      " and ",
      " or ",
      "not ",
      "(",
      ")",
      ",",
      "'a'",
      "'",
      "''",
      "null",
      "true",
      "12",
      "-1.5e3",
      "2021-01-01T00:00:00Z",
      "c7df2760-2c81-4ef7-b578-5b5392b571df",
      "startsWith(",
      "endsWith(",
      "contains(",
      " ",
    );
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.array(pieces, { maxLength: 14 }).map((p) => p.join("")),
        ),
        (text) => {
          onlyODataErrors(() =>
            compileFilter(text, users).predicate({ displayName: "a", assignedLicenses: [{}] }),
          );
        },
      ),
      { numRuns: 1000 },
    );
  });
});

// A small reference model: random boolean expressions, printed as $filter text, evaluated both by the
// compiled predicate and directly.
type Expr =
  | { kind: "eq" | "startsWith"; property: "displayName" | "mail"; value: string }
  | { kind: "enabled"; value: boolean }
  | { kind: "not"; operand: Expr }
  | { kind: "and" | "or"; left: Expr; right: Expr };

const leaf: fc.Arbitrary<Expr> = fc.oneof(
  fc.record({
    kind: fc.constantFrom("eq" as const, "startsWith" as const),
    property: fc.constantFrom("displayName" as const, "mail" as const),
    value: fc.constantFrom("a", "ab", "B", "o'b", ""),
  }),
  fc.record({ kind: fc.constant("enabled" as const), value: fc.boolean() }),
);
const expr: fc.Arbitrary<Expr> = fc.letrec<{ e: Expr }>((tie) => ({
  e: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    leaf,
    fc.record({ kind: fc.constant("not" as const), operand: tie("e") }),
    fc.record({ kind: fc.constantFrom("and" as const, "or" as const), left: tie("e"), right: tie("e") }),
  ),
})).e;

function print(e: Expr): string {
  switch (e.kind) {
    case "eq":
      return `${e.property} eq ${quote(e.value)}`;
    case "startsWith":
      return `startsWith(${e.property},${quote(e.value)})`;
    case "enabled":
      return `accountEnabled eq ${e.value}`;
    case "not":
      return `not (${print(e.operand)})`;
    default:
      return `(${print(e.left)}) ${e.kind} (${print(e.right)})`;
  }
}

function evaluate(e: Expr, o: { displayName: string; mail: string; accountEnabled: boolean }): boolean {
  switch (e.kind) {
    case "eq":
      return o[e.property].toLowerCase() === e.value.toLowerCase();
    case "startsWith":
      return o[e.property].toLowerCase().startsWith(e.value.toLowerCase());
    case "enabled":
      return o.accountEnabled === e.value;
    case "not":
      return !evaluate(e.operand, o);
    case "and":
      return evaluate(e.left, o) && evaluate(e.right, o);
    case "or":
      return evaluate(e.left, o) || evaluate(e.right, o);
  }
}

describe("$filter semantics (model-based)", () => {
  it("agrees with a direct evaluation of the same expression", () => {
    const obj = fc.record({
      displayName: fc.constantFrom("a", "Ab", "abc", "O'Brien", "b"),
      mail: fc.constantFrom("a", "AB", "o'b@x", ""),
      accountEnabled: fc.boolean(),
    });
    fc.assert(
      fc.property(expr, fc.array(obj, { minLength: 1, maxLength: 5 }), (e, objects) => {
        const { predicate } = compileFilter(print(e), users);
        for (const o of objects) assert.equal(predicate(o as Obj), evaluate(e, o), print(e));
      }),
      { numRuns: 300 },
    );
  });
});
