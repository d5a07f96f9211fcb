/**
 * The expression tree the parser builds and the evaluator walks. Positions are 0-based character
 * offsets into the source text; error messages turn them into 1-based `line:column`.
 */

export type Expression =
  | { kind: "string"; value: string; position: number }
  | { kind: "number"; value: number; position: number }
  | { kind: "boolean"; value: boolean; position: number }
  | { kind: "null"; position: number }
  /** `[givenName]`, `[manager.displayName]`: `path` as written between the brackets. */
  | { kind: "reference"; path: string; position: number }
  /** An argument slot left empty, as in `Replace([x], , "a", , "b", , )`. */
  | { kind: "omitted"; position: number }
  /** `name` is the function's canonical spelling, whatever case the text used. */
  | { kind: "call"; name: string; args: Expression[]; position: number }
  /** `[country] = "USA"`, as Entra writes IIF conditions: true when both sides read the same. */
  | { kind: "equals"; left: Expression; right: Expression; position: number };

/** What an expression evaluates to. */
export type Value = string | number | boolean | null | string[];

/** A string constant in expression syntax: only `\` and `"` need escaping. */
export function quote(text: string): string {
  let out = '"';
  for (const ch of text) out += ch === "\\" || ch === '"' ? "\\" + ch : ch;
  return out + '"';
}

/** Canonical text for an expression; parsing it gives the same tree (positions aside). */
export function printExpression(expr: Expression): string {
  switch (expr.kind) {
    case "string":
      return quote(expr.value);
    case "number":
      return String(expr.value);
    case "boolean":
      return expr.value ? "true" : "false";
    case "null":
      return "null";
    case "reference":
      return "[" + expr.path + "]";
    case "omitted":
      return "";
    case "call":
      return expr.name + "(" + expr.args.map(printExpression).join(", ") + ")";
    case "equals":
      return printExpression(expr.left) + " = " + printExpression(expr.right);
  }
}

/** Attribute paths an expression reads, in first-use order, without repeats. */
export function collectReferences(expr: Expression, into: string[] = []): string[] {
  if (expr.kind === "reference") {
    if (!into.includes(expr.path)) into.push(expr.path);
  } else if (expr.kind === "call") {
    for (const arg of expr.args) collectReferences(arg, into);
  } else if (expr.kind === "equals") {
    collectReferences(expr.left, into);
    collectReferences(expr.right, into);
  }
  return into;
}
