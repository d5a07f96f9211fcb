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
  // Targets that mappings push into (src/mapping/targets).
  TARGET_REQUEST_FAILED: {
    message: "{method} {url} to the target failed with {status}{scimType}: {detail}",
    fix: "Read the target's detail above; a 400 usually names the attribute the target refused, which the mapping's attributes must change.",
    status: 502,
    retryable: false,
    exit: EXIT.network,
  },
  TARGET_AUTH_FAILED: {
    message: "The target {url} refused the credentials ({status}): {detail}",
    fix: "Check the target's bearer token or OAuth client id, secret and token URL, and that they grant provisioning.",
    status: 401,
    retryable: false,
    exit: EXIT.auth,
  },
  TARGET_UNREACHABLE: {
    message: "{method} {url} to the target failed after {attempts} attempts: {reason}",
    fix: "Check that the target is up and reachable from this machine, then run again; records already pushed are matched, not duplicated.",
    status: 502,
    retryable: true,
    exit: EXIT.network,
  },
  TARGET_WRITE_FAILED: {
    message: "Writing the target {target} failed: {reason}",
    fix: "Check that the file or database named can be written by this user and that the disk has room; the previous snapshot is left as it was.",
    status: 500,
    retryable: true,
    exit: EXIT.internal,
  },
  TARGET_CONFIG_INVALID: {
    message: "Invalid target setting {field}: {problem}",
    fix: "Correct the named setting of the target; docs/mapping.md describes each target's settings.",
    status: 400,
    retryable: false,
    exit: EXIT.usage,
  },
} as const satisfies Record<string, ErrorSpec>;
