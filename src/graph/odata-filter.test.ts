import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { isConnectorError } from "../errors.ts";
import {
  and,
  any,
  endsWith,
  eq,
  filterParam,
  guid,
  isIn,
  literal,
  not,
  or,
  property,
  startsWith,
} from "./odata-filter.ts";

/** An independent reader of the expressions we build: identifiers, operators, punctuation, literals. */
function tokenize(expr: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < expr.length) {
    const c = expr[i]!;
    if (c === " ") {
      i++;
    } else if (c === "'") {
      let s = "";
      i++;
      for (;;) {
        assert.ok(i < expr.length, `unterminated literal in ${expr}`);
        if (expr[i] === "'" && expr[i + 1] === "'") {
          s += "'";
          i += 2;
        } else if (expr[i] === "'") {
          i++;
          break;
        } else {
          s += expr[i++];
        }
      }
      out.push(`str:${s}`);
    } else if ("(),".includes(c)) {
      out.push(c);
      i++;
    } else {
      const m = /^[^\s(),']+/.exec(expr.slice(i))!;
      out.push(m[0]);
      i += m[0].length;
    }
  }
  return out;
}

const hostile = fc.oneof(
  fc.string({ unit: "binary" }).filter((s) => s.isWellFormed()),
  fc.constantFrom(
    "'",
    "''",
    "' or 1 eq 1 or '",
    "x') or (true",
    "&$top=1",
    "#",
    "%27",
    "\\'",
    "\u0000",
    "'; --",
  ),
  fc
    .array(fc.constantFrom("'", ")", "(", " or ", " eq ", "&", "%", "+", "/", "$filter="), { maxLength: 12 })
    .map((a) => a.join("")),
);

describe("OData filter builder", () => {
  test("any string round-trips as exactly one literal; the structure never changes", () => {
    fc.assert(
      fc.property(hostile, hostile, (a, b) => {
        const f = or(eq("displayName", a), startsWith("mail", b));
        assert.deepEqual(tokenize(f.expression), [
          "(",
          "displayName",
          "eq",
          `str:${a}`,
          ")",
          "or",
          "(",
          "startsWith",
          "(",
          "mail",
          ",",
          `str:${b}`,
          ")",
          ")",
        ]);
      }),
      { numRuns: 500 },
    );
  });

  test("the encoded query parameter decodes back to the same expression", () => {
    fc.assert(
      fc.property(hostile, (a) => {
        const f = eq("department", a);
        const param = filterParam(f);
        assert.match(param, /^\$filter=[^&#\s]*$/);
        assert.equal(new URLSearchParams(param).get("$filter"), f.expression);
      }),
      { numRuns: 300 },
    );
  });

  test("quotes are doubled", () => {
    assert.equal(eq("surname", "O'Brien").expression, "surname eq 'O''Brien'");
    assert.equal(literal("''"), "''''''");
  });

  test("property names must be identifiers (and on the whitelist when given)", () => {
    fc.assert(
      fc.property(
        fc.string().filter((s) => !/^[A-Za-z_][A-Za-z0-9_]*(\/[A-Za-z_][A-Za-z0-9_]*)*$/.test(s)),
        (name) => {
          assert.throws(
            () => eq(name, "x"),
            (e) => isConnectorError(e, "FILTER_INVALID"),
          );
        },
      ),
    );
    assert.equal(
      property("onPremisesExtensionAttributes/extensionAttribute1"),
      "onPremisesExtensionAttributes/extensionAttribute1",
    );
    assert.throws(() => eq("mail", "x", ["displayName"]), /cannot be filtered here/);
  });

  test("GUIDs are validated and bare; numbers must be finite", () => {
    const sku = "6FD2C87F-B296-42F0-B197-1E91E994B900";
    assert.equal(
      any("assignedLicenses", "skuId", guid(sku)).expression,
      `assignedLicenses/any(x:x/skuId eq ${sku.toLowerCase()})`,
    );
    assert.throws(
      () => guid("6fd2c87f' or '1"),
      (e) => isConnectorError(e, "FILTER_INVALID"),
    );
    assert.throws(() => eq("n", Number.NaN), /finite/);
  });

  test("composes in, not, and, endsWith", () => {
    const f = and(isIn("userType", ["Member", "Guest"]), not(endsWith("mail", "@contoso.com")));
    assert.equal(f.expression, "(userType in ('Member','Guest')) and (not (endsWith(mail,'@contoso.com')))");
    assert.equal(eq("accountEnabled", true).expression, "accountEnabled eq true");
  });
});
