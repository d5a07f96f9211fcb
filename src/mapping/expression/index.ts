/**
 * Attribute-mapping expressions, in Entra's provisioning syntax: `Join(".", [givenName], [surname])`.
 * Pure (no I/O). docs/mapping-expressions.md describes the syntax and every function.
 */

import { collectReferences, type Expression, type Value } from "./ast.ts";
import { evaluate, type Source } from "./evaluate.ts";
import { type EvaluateOptions, namedAttributes } from "./functions.ts";
import { parseExpression } from "./parser.ts";

export { type Expression, printExpression, quote, type Value } from "./ast.ts";
export { evaluate, type Source } from "./evaluate.ts";
export { type EvaluateOptions, FUNCTION_NAMES } from "./functions.ts";
export { MAX_EXPRESSION_LENGTH, MAX_NESTING_DEPTH, parseExpression } from "./parser.ts";

export interface CompiledExpression {
  readonly expression: Expression;
  /** Source attributes the expression reads (paths as written, e.g. "manager.displayName"). */
  readonly references: readonly string[];
  evaluate(source: Source, options?: EvaluateOptions): Value;
}

/** Parses once; the result evaluates against any number of source objects. */
export function compileExpression(text: string): CompiledExpression {
  const expression = parseExpression(text);
  const references = collectReferences(expression);
  const visit = (expr: Expression): void => {
    if (expr.kind !== "call") return;
    for (const name of namedAttributes(expr)) if (!references.includes(name)) references.push(name);
    expr.args.forEach(visit);
  };
  visit(expression);
  return {
    expression,
    references,
    evaluate: (source, options) => evaluate(expression, source, options),
  };
}
