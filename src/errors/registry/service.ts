import { type ErrorSpec, EXIT } from "../spec.ts";

/** The service's HTTP API (src/service). */
export const SERVICE_ERRORS = {
  API_UNAUTHENTICATED: {
    message: "This route needs an API token.",
    fix: "Send `Authorization: Bearer <token>`; create one with `entra-connector token create --name <name> --role viewer|operator|admin`.",
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
  SERVICE_LISTEN_FAILED: {
    message: "The service cannot listen on {address}: {reason}.",
    fix: "Choose a free port with --listen host:port (ENTRA_LISTEN), or stop what holds it.",
    status: 500,
    retryable: false,
    exit: EXIT.usage,
  },
  JOB_QUEUE_UNREACHABLE: {
    message: "The job queue (PostgreSQL schema {schema}) cannot be used: {reason}.",
    fix: "Check ENTRA_QUEUE: the server must be reachable and the user allowed to create the schema (or own it).",
    status: 503,
    retryable: true,
    exit: EXIT.network,
  },
  JOB_WORKER_STOPPED: {
    message: "The worker running {kind} job {id} stopped; the job is back in the queue.",
    fix: "Nothing to do: another worker (or this one after its restart) resumes it from the store's checkpoint.",
    status: 503,
    retryable: true,
    exit: EXIT.cancelled,
  },
} as const satisfies Record<string, ErrorSpec>;
