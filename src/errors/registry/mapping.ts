import { type ErrorSpec, EXIT } from "../spec.ts";

/** Mappings into downstream systems (src/mapping). */
export const MAPPING_ERRORS = {
  // Expressions (src/mapping/expression).
  MAPPING_EXPRESSION_INVALID: {
    message: "Invalid expression at {position}: {problem}",
    fix: "Correct the expression at the position shown; docs/mapping-expressions.md lists the functions and their arguments.",
    status: 400,
    retryable: false,
    exit: EXIT.usage,
  },

  // Definitions, scoping and plans (src/mapping).
  MAPPING_INVALID: {
    message: "Invalid mapping {source}: {problem}",
    fix: "Correct the named line and field; docs/mapping.md shows a complete example.",
    status: 400,
    retryable: false,
    exit: EXIT.usage,
  },
} as const satisfies Record<string, ErrorSpec>;
