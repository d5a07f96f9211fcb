import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { isConnectorError } from "../../errors.ts";
import { compileExpression, MAX_EXPRESSION_LENGTH, MAX_NESTING_DEPTH, parseExpression } from "./index.ts";

const compileReferences = (text: string) => compileExpression(text).references;

/** Asserts the text is refused with MAPPING_EXPRESSION_INVALID at `position`, mentioning `fragment`. */
function refuses(text: string, position: string, fragment: string | RegExp): void {
  assert.throws(
    () => parseExpression(text),
    (err: unknown) => {
      assert.ok(isConnectorError(err, "MAPPING_EXPRESSION_INVALID"), String(err));
      assert.equal(err.params["position"], position);
      assert.match(err.message, new RegExp(`^Invalid expression at ${position}: `));
      if (typeof fragment === "string") assert.ok(err.message.includes(fragment), err.message);
      else assert.match(err.message, fragment);
      return true;
    },
  );
}

describe("parseExpression: the tree", () => {
  test("nested calls, references, constants and empty slots", () => {
    const expr = parseExpression('join(".", [givenName], Left([manager.displayName], 2))');
    assert.equal(expr.kind, "call");
    if (expr.kind !== "call") return;
    assert.equal(expr.name, "Join", "function names are case-insensitive and come back canonical");
    assert.deepEqual(
      expr.args.map((a) => a.kind),
      ["string", "reference", "call"],
    );
    const replace = parseExpression('Replace([x], "a", , , "b", , )');
    assert.ok(replace.kind === "call");
    assert.deepEqual(
      replace.args.map((a) => a.kind),
      ["reference", "string", "omitted", "omitted", "string", "omitted", "omitted"],
    );
  });
  test("an = comparison is an operand of its own", () => {
    const expr = parseExpression('IIF([country] = "USA", "a", "b")');
    assert.ok(expr.kind === "call" && expr.args[0]?.kind === "equals");
    assert.deepEqual(compileReferences('IIF([country] = [c2], "a", "b")'), ["country", "c2"]);
  });
  test("escapes in strings", () => {
    assert.deepEqual(parseExpression('"Company: \\"Contoso\\" \\\\ x"'), {
      kind: "string",
      value: 'Company: "Contoso" \\ x',
      position: 0,
    });
  });
  test("numbers, booleans and null in any case", () => {
    assert.deepEqual(parseExpression(" -1.5 "), { kind: "number", value: -1.5, position: 1 });
    assert.deepEqual(parseExpression("False"), { kind: "boolean", value: false, position: 0 });
    assert.deepEqual(parseExpression("NULL"), { kind: "null", position: 0 });
  });
});

describe("parseExpression: errors say where and why", () => {
  test("unknown function lists the known ones", () => {
    refuses('Join(".", Frob([x]))', "1:11", /unknown function Frob; the functions are Append, .*Word/);
  });
  test("wrong number of arguments says how many it takes", () => {
    refuses("Append([x])", "1:1", "Append takes 2 (source, suffix) arguments, not 1");
    refuses('Replace([x], "a", "b")', "1:1", "Replace takes 7");
    refuses('Switch([x], "d", "k")', "1:1", "Switch takes an even number, at least 4");
    refuses('Switch([x], "d", "k", "v", "k2")', "1:1", "in pairs");
  });
  test("unterminated string points at its opening quote", () => {
    refuses('Append([x],\n  "abc)', "2:3", "unterminated string");
  });
  test("unknown escapes are refused", () => {
    refuses('"a\\nb"', "1:3", "unknown escape \\n");
  });
  test("unexpected character and token", () => {
    refuses("Append([x], #)", "1:13", 'unexpected "#"');
    refuses('Append([x] "y")', "1:12", 'expected "," or ")"');
    refuses("[given name]", "1:7", 'unexpected " " in an attribute name');
    refuses("[]", "1:2", "in an attribute name");
    refuses("givenName", "1:1", "attributes are written in brackets, as [givenName]");
    refuses("Append", "1:7", "Append is a function");
  });
  test("comparisons don't chain and need a right side", () => {
    refuses("[a] = [b] = [c]", "1:11", 'unexpected "=" after the end of the expression');
    refuses('IIF([a] = , "x", "y")', "1:11", 'unexpected ","');
  });
  test("trailing input after a complete expression", () => {
    refuses('[x] "y"', "1:5", `unexpected '"' after the end of the expression`);
  });
  test("empty expression", () => {
    refuses("", "1:1", "the expression is empty");
    refuses("  \n ", "2:2", "the expression is empty");
  });
  test("unclosed call and unterminated reference", () => {
    refuses("ToLower([x]", "1:12", "unclosed call to ToLower");
    refuses("ToLower([x", "1:9", "unterminated attribute reference");
  });
  test("required arguments may not be left empty", () => {
    refuses('Append(, "x")', "1:8", "argument 1 of Append is required but empty");
  });
  test("constant arguments are type-checked", () => {
    refuses('Left([x], "three")', "1:11", "argument 2 of Left must be a whole number");
    refuses("Mid([x], 1.5, 2)", "1:10", "argument 2 of Mid must be a whole number");
    refuses('SingleAppRoleAssignment("roles")', "1:25", "must be an attribute reference");
    refuses(
      'Replace([x], , "(", , "", , )',
      "1:16",
      "argument 3 of Replace is not a valid regular expression",
    );
    refuses('ToLower([x], "not a culture!")', "1:14", "is not a culture name");
    refuses('FormatDateTime([x], "yyyy-MMM", "yyyy")', "1:21", 'format token "MMM" is not supported');
    refuses('DateAdd("fortnight", 1, [d])', "1:1", 'DateAdd interval "fortnight"');
    refuses("Item([x], 0)", "1:1", "Item's index counts from 1");
  });
  test("Replace needs a consistent set of arguments", () => {
    refuses('Replace([x], "a", "b", , "c", , )', "1:1", "not both");
    refuses('Replace([x], , , , "c", , )', "1:1", "needs oldValue (argument 2) or regexPattern (argument 3)");
    refuses('Replace([x], , "(?<a>x)", "b", "c", , )', "1:1", 'no group named "b"');
  });
  test("SelectUniqueValue only at the top", () => {
    refuses("ToLower(SelectUniqueValue([a], [b]))", "1:9", "SelectUniqueValue must be the whole expression");
  });
  test("input size and nesting depth are bounded", () => {
    refuses(`"${"a".repeat(MAX_EXPRESSION_LENGTH)}"`, "1:1", `the limit is ${MAX_EXPRESSION_LENGTH}`);
    const nest = (n: number) => "ToLower(".repeat(n) + "[x]" + ")".repeat(n);
    assert.doesNotThrow(() => parseExpression(nest(MAX_NESTING_DEPTH)));
    refuses(
      nest(MAX_NESTING_DEPTH + 1),
      `1:${8 * MAX_NESTING_DEPTH + 1}`,
      `nested more than ${MAX_NESTING_DEPTH} deep`,
    );
  });
});
