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
  // Runs (src/mapping/run.ts).
  MAPPING_SCOPE_NOT_FOUND: {
    message: "The mapping's source.users.{field} names {ref}, which the store does not hold.",
    fix: "Sync first (entra-connector sync), or correct the group or app's name or id in the mapping.",
    status: 404,
    retryable: false,
    exit: EXIT.usage,
  },
  MAPPING_USER_NOT_FOUND: {
    message: "No user {ref} in the store, nor a record of it in mapping {mapping}.",
    fix: "Give a user's object id or userPrincipalName as the store holds it; sync first if the user is new.",
    status: 404,
    retryable: false,
    exit: EXIT.usage,
  },
  MAPPING_TARGET_QUARANTINED: {
    message: "Mapping {mapping}'s target is quarantined until {until}: {reason}",
    fix: "Fix what the reason names (credentials, the target's health); the first run after {until} tries the target again, and one that succeeds lifts the quarantine.",
    status: 503,
    retryable: true,
    exit: EXIT.network,
  },
  // Mappings kept by the service (src/service/mappings.ts).
  MAPPING_NOT_FOUND: {
    message: "Connection {connection} has no mapping {mapping}.",
    fix: "GET /api/v1/connections/{connection}/mappings lists them.",
    status: 404,
    retryable: false,
    exit: EXIT.usage,
  },
  MAPPING_EXISTS: {
    message: "Connection {connection} has a mapping {mapping} already.",
    fix: "Replace it with PUT /api/v1/connections/{connection}/mappings/{mapping}, or give the new one another name.",
    status: 409,
    retryable: false,
    exit: EXIT.usage,
  },
  MAPPING_ALREADY_RUNNING: {
    message: "Mapping {mapping} of connection {connection} is already running (run {runId}).",
    fix: "Wait for run {runId} to end (GET …/mappings/{mapping}/runs/{runId}), or cancel it first.",
    status: 409,
    retryable: true,
    exit: EXIT.usage,
  },
} as const satisfies Record<string, ErrorSpec>;
