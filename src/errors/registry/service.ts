import { type ErrorSpec, EXIT } from "../spec.ts";

/** The service's HTTP API (src/service). */
export const SERVICE_ERRORS = {
  API_UNAUTHENTICATED: {
    message: "This route needs an API token or a console session.",
    fix: "Send `Authorization: Bearer <token>`, or sign in to the console; create a token with `entra-connector token create --name <name> --role viewer|operator|admin`.",
    status: 401,
    retryable: false,
    exit: EXIT.auth,
  },
  API_FORBIDDEN: {
    message: "The token {token} has the role {held}; this route needs {needed}.",
    fix: "Use a token with the role {needed} or higher (`entra-connector token create --role {needed}`).",
    status: 403,
    retryable: false,
    exit: EXIT.permissions,
  },
  API_ROUTE_NOT_FOUND: {
    message: "There is no route {method} {path}.",
    fix: "GET /api/v1/openapi.json lists every route.",
    status: 404,
    retryable: false,
    exit: EXIT.usage,
  },
  API_INPUT_INVALID: {
    message: "Invalid {part}: {problems}",
    fix: "Correct the named fields; GET /api/v1/openapi.json describes every route's input.",
    status: 400,
    retryable: false,
    exit: EXIT.usage,
  },
  API_CURSOR_INVALID: {
    message: "The cursor is not one this service issued for this listing.",
    fix: "Pass back the `next` value of the previous page unchanged, or start again without a cursor.",
    status: 400,
    retryable: false,
    exit: EXIT.usage,
  },
  CONNECTION_NOT_FOUND: {
    message: "There is no connection {id}.",
    fix: "GET /api/v1/connections lists the configured connections.",
    status: 404,
    retryable: false,
    exit: EXIT.usage,
  },
  SYNC_ALREADY_RUNNING: {
    message: "Connection {connection} is already syncing (run {runId}).",
    fix: "Wait for run {runId} to end (GET …/runs/{runId}), or cancel it first.",
    status: 409,
    retryable: true,
    exit: EXIT.usage,
  },
  API_TOKEN_NAME_TAKEN: {
    message: "An API token named {name} exists already.",
    fix: "Choose another name, or revoke the old token first (`entra-connector token revoke {name}`).",
    status: 409,
    retryable: false,
    exit: EXIT.usage,
  },
  API_TOKEN_NOT_FOUND: {
    message: "There is no API token named {name}.",
    fix: "`entra-connector token list` shows the tokens.",
    status: 404,
    retryable: false,
    exit: EXIT.usage,
  },
  API_SIGN_IN_FAILED: {
    message: "Sign-in refused: the token, or the name and password, are not valid.",
    fix: "Check what you typed; `entra-connector token list` and `entra-connector user list` show who exists.",
    status: 401,
    retryable: false,
    exit: EXIT.auth,
  },
  API_CSRF_TOKEN_INVALID: {
    message:
      "A change made with a console session needs the session's CSRF token in the x-csrf-token header.",
    fix: "Send the `csrfToken` that POST /api/v1/session (or GET /api/v1/session) returned as `x-csrf-token`, or use a bearer token.",
    status: 403,
    retryable: false,
    exit: EXIT.auth,
  },
  LOCAL_USER_NAME_TAKEN: {
    message: "A console user named {name} exists already.",
    fix: "Choose another name, or remove the old user first (`entra-connector user remove {name}`).",
    status: 409,
    retryable: false,
    exit: EXIT.usage,
  },
  LOCAL_USER_NOT_FOUND: {
    message: "There is no console user named {name}.",
    fix: "`entra-connector user list` shows the users.",
    status: 404,
    retryable: false,
    exit: EXIT.usage,
  },
  SERVICE_LISTEN_FAILED: {
    message: "The service cannot listen on {address}: {reason}.",
    fix: "Choose a free port with --listen host:port (ENTRA_LISTEN), or stop what holds it.",
    status: 500,
    retryable: false,
    exit: EXIT.usage,
  },
} as const satisfies Record<string, ErrorSpec>;
