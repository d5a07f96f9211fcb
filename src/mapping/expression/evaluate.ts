/**
 * Evaluates a parsed expression against the mapped object's data: a Graph user as a plain record,
 * plus whatever the caller adds (`manager`, `appRoleAssignments`, …). Pure: the only outside
 * inputs are the source and the options (uniqueness check, clock).
 */

import type { Expression, Value } from "./ast.ts";
import { type CallContext, type EvaluateOptions, FUNCTIONS, text } from "./functions.ts";

export type Source = Readonly<Record<string, unknown>>;

/** Reads a dotted path through own properties only, so `[__proto__]` and friends read nothing. */
export function resolvePath(source: Source, path: string): unknown {
  if (Object.hasOwn(source, path)) return source[path];
  let current: unknown = source;
  for (const segment of path.split(".")) {
    if (typeof current !== "object" || current === null || Array.isArray(current)) return undefined;
    if (!Object.hasOwn(current, segment)) return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}

/** Source data as an expression value: missing → null, lists of scalars → string[], objects → null. */
export function toValue(raw: unknown): Value {
  if (typeof raw === "string" || typeof raw === "boolean") return raw;
  if (typeof raw === "number") return Number.isFinite(raw) ? raw : null;
  if (Array.isArray(raw)) {
    return raw
      .filter((v) => typeof v === "string" || typeof v === "number" || typeof v === "boolean")
      .map((v) => (typeof v === "boolean" ? (v ? "True" : "False") : String(v)));
  }
  return null;
}

/** The value of `expr` for `source`. A missing attribute is null; functions decide what null gives. */
export function evaluate(expr: Expression, source: Source, options: EvaluateOptions = {}): Value {
  switch (expr.kind) {
    case "string":
    case "number":
    case "boolean":
      return expr.value;
    case "null":
    case "omitted":
      return null;
    case "reference":
      return toValue(resolvePath(source, expr.path));
    case "equals":
      // Compared as text, case-sensitively, so [employeeType] = "1" matches a number too; null equals only null.
      return text(evaluate(expr.left, source, options)) === text(evaluate(expr.right, source, options));
    case "call": {
      const spec = FUNCTIONS.get(expr.name.toLowerCase());
      // The parser only builds calls to known functions; a hand-built tree could name any.
      if (!spec) throw new TypeError(`unknown function ${expr.name}`);
      const args = expr.args;
      const ctx: CallContext = {
        count: args.length,
        given: (i) => args[i] !== undefined && args[i]!.kind !== "omitted",
        value: (i) => (args[i] ? evaluate(args[i]!, source, options) : null),
        raw: (i) => {
          const arg = args[i];
          return arg?.kind === "reference" ? resolvePath(source, arg.path) : undefined;
        },
        attribute: (path) => toValue(resolvePath(source, path)),
        options,
      };
      return spec.call(ctx);
    }
  }
}
