import { type ErrorSpec, EXIT } from "../spec.ts";

/** Answers from Microsoft Graph after the client's retries (GraphError), OData filters and `check`. */
export const GRAPH_ERRORS = {
  GRAPH_BAD_REQUEST: {
    message: "{method} {url} → {status} {graphCode}: {graphMessage} (request-id {requestId})",
    status: 400,
    retryable: false,
    exit: EXIT.graph,
  },
  GRAPH_UNAUTHORIZED: {
    message: "{method} {url} → {status} {graphCode}: {graphMessage} (request-id {requestId})",
    fix: "The access token was rejected; run `entra-connector check` to verify the credential and cloud.",
    status: 401,
    retryable: false,
    exit: EXIT.auth,
  },
  GRAPH_FORBIDDEN: {
    message: "{method} {url} → {status} {graphCode}: {graphMessage} (request-id {requestId})",
    fix: "The app lacks a permission this call needs; run `entra-connector check` to see which to add.",
    status: 403,
    retryable: false,
    exit: EXIT.permissions,
  },
  GRAPH_NOT_FOUND: {
    message: "{method} {url} → {status} {graphCode}: {graphMessage} (request-id {requestId})",
    status: 404,
    retryable: false,
    exit: EXIT.graph,
  },
  GRAPH_CONFLICT: {
    message: "{method} {url} → {status} {graphCode}: {graphMessage} (request-id {requestId})",
    status: 409,
    retryable: false,
    exit: EXIT.graph,
  },
  GRAPH_THROTTLED: {
    message:
      "{method} {url} → {status} {graphCode}: still throttled after {attempts} attempts (request-id {requestId})",
    fix: "Microsoft Graph's budget for this app and tenant is exhausted; retry later or lower concurrency.",
    status: 429,
    retryable: true,
    exit: EXIT.graph,
  },
  GRAPH_UNAVAILABLE: {
    message: "{method} {url} → {status} {graphCode}: {graphMessage} (request-id {requestId})",
    fix: "Microsoft Graph is temporarily unavailable; retry later.",
    status: 503,
    retryable: true,
    exit: EXIT.graph,
  },
  GRAPH_DELTA_EXPIRED: {
    message: "{method} {url} → {status} {graphCode}: the delta token has expired (request-id {requestId})",
    fix: "Run a full sync; the connector does this automatically and reconciles deletions.",
    status: 410,
    retryable: false,
    exit: EXIT.graph,
  },
  GRAPH_REQUEST_FAILED: {
    message: "{method} {url} → {status} {graphCode}: {graphMessage} (request-id {requestId})",
    status: 502,
    retryable: false,
    exit: EXIT.graph,
  },
  GRAPH_FOREIGN_URL: {
    message: "Refusing to send the Graph token to {origin}: it is not the configured Graph root {graphRoot}.",
    fix: "Pass a path (e.g. /users) or a link that Graph returned for this connection.",
    status: 400,
    retryable: false,
    exit: EXIT.usage,
  },
  FILTER_INVALID: {
    message: "OData filter: {problem}",
    status: 400,
    retryable: false,
    exit: EXIT.usage,
  },
  CHECK_MISSING_PERMISSIONS: {
    message: "Missing permissions for {capabilities}: add {permissions}.",
    fix: "Add the permissions to the app registration, then grant admin consent: {consentUrl}",
    status: 403,
    retryable: false,
    exit: EXIT.permissions,
  },
} as const satisfies Record<string, ErrorSpec>;
