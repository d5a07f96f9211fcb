import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { isConnectorError } from "../../errors.ts";
import { type Expression, parseExpression, printExpression, quote } from "./index.ts";

/** The tree without source positions, for comparing a reparse with the original. */
function shape(expr: Expression): unknown {
  const { position: _position, ...rest } = expr;
  if (expr.kind === "call") return { ...rest, args: expr.args.map(shape) };
  if (expr.kind === "equals") return { ...rest, left: shape(expr.left), right: shape(expr.right) };
  return rest;
}

/** Arbitrary text, heavy in the characters that matter to the syntax. */
const hostile = fc.string({
  unit: fc.oneof(
    fc.constantFrom("\\", '"', "[", "]", "(", ")", ",", "\n", " "),
    fc.string({ unit: "binary", minLength: 1, maxLength: 1 }),
  ),
});

test("any string, quoted, parses back to exactly that string and nothing more", () => {
  fc.assert(
    fc.property(hostile, (s) => {
      assert.deepEqual(shape(parseExpression(quote(s))), { kind: "string", value: s });
      // Inside a call, a hostile constant cannot end the quoting early and inject arguments.
      const call = parseExpression(`Append([x], ${quote(s)})`);
      assert.ok(call.kind === "call");
      assert.equal(call.args.length, 2);
      assert.deepEqual(shape(call.args[1]!), { kind: "string", value: s });
    }),
    { numRuns: 500 },
  );
});

test("garbage either parses or is refused with MAPPING_EXPRESSION_INVALID", () => {
  const alphabet = fc.constantFrom(
    ...'()[],"\\ .-_09aZeE\n\t#',
    "Join",
    "Replace",
    "IIF",
    "true",
    "null",
    "[x]",
  );
  const garbage = fc.oneof(
    fc.string({ unit: "binary", maxLength: 60 }),
    fc.array(alphabet, { maxLength: 40 }).map((a) => a.join("")),
  );
  fc.assert(
    fc.property(garbage, (text) => {
      try {
        parseExpression(text);
      } catch (err) {
        assert.ok(isConnectorError(err, "MAPPING_EXPRESSION_INVALID"), `${text}: ${String(err)}`);
      }
    }),
    { numRuns: 2000 },
  );
});

const call = (name: string, args: Expression[]): Expression => ({ kind: "call", name, args, position: 0 });

test("printing a tree and parsing the text gives the same tree", () => {
  const name = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_-]{0,8}$/);
  const leaf: fc.Arbitrary<Expression> = fc.oneof(
    hostile.map((value) => ({ kind: "string", value, position: 0 }) as const),
    fc
      .oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }))
      .map((value) => ({ kind: "number", value: Object.is(value, -0) ? 0 : value, position: 0 }) as const),
    fc.boolean().map((value) => ({ kind: "boolean", value, position: 0 }) as const),
    fc.constant({ kind: "null", position: 0 } as const),
    fc
      .array(name, { minLength: 1, maxLength: 3 })
      .map((parts) => ({ kind: "reference", path: parts.join("."), position: 0 }) as const),
  );
  const { expr } = fc.letrec<{ expr: Expression; operand: Expression }>((tie) => ({
    expr: fc.oneof(
      tie("operand"),
      fc
        .tuple(tie("operand"), tie("operand"))
        .map(([left, right]): Expression => ({ kind: "equals", left, right, position: 0 })),
    ),
    operand: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      leaf,
      fc
        .tuple(fc.constantFrom("Coalesce", "Join"), fc.array(tie("expr"), { minLength: 2, maxLength: 4 }))
        .map(([fn, args]) => call(fn, args)),
      fc.tuple(tie("expr"), tie("expr"), tie("expr")).map((args) => call("IIF", args)),
      tie("expr").map((arg) => call("IsPresent", [arg])),
    ),
  }));
  fc.assert(
    fc.property(expr, (tree) => {
      assert.deepEqual(shape(parseExpression(printExpression(tree))), shape(tree));
    }),
    { numRuns: 500 },
  );
});
