import { type ErrorSpec, EXIT } from "../spec.ts";

/** The local store (src/store). */
export const STORE_ERRORS = {
  STORE_LOCATION_INVALID: {
    message: "The store at {location} cannot be opened: {reason}",
    fix: "Set --store or ENTRA_STORE to a writable SQLite file path whose folder exists.",
    status: 400,
    retryable: false,
    exit: EXIT.usage,
  },
  STORE_NOT_FOUND: {
    message: "There is no store at {location}.",
    fix: "Run `entra-connector sync` first, or point --store / ENTRA_STORE at an existing store.",
    status: 404,
    retryable: false,
    exit: EXIT.usage,
  },
  STORE_UNSUPPORTED: {
    message: "Store locations of the form {scheme} are not supported yet.",
    fix: "Set --store or ENTRA_STORE to a SQLite file path or a postgres:// URL.",
    status: 400,
    retryable: false,
    exit: EXIT.usage,
  },
  STORE_SCHEMA_TOO_NEW: {
    message: "The store has schema version {found}, newer than this connector knows ({known}).",
    fix: "Upgrade entra-connector, or point --store at a store this version wrote.",
    status: 500,
    retryable: false,
    exit: EXIT.usage,
  },
  STORE_INPUT_INVALID: {
    message: "{field} {problem}.",
    status: 400,
    retryable: false,
    exit: EXIT.usage,
  },
  STORE_THREAD_FAILED: {
    message: "The store's writer thread stopped: {reason}",
    fix: "Nothing after the last committed page was written; run the sync again to resume from it, and report the reason if it repeats.",
    status: 500,
    retryable: true,
    exit: EXIT.internal,
  },
  STORE_RUN_NOT_FOUND: {
    message: "Run {run} is not in the store.",
    fix: "List runs with `entra-connector runs` and pass a run number or id.",
    status: 404,
    retryable: false,
    exit: EXIT.usage,
  },
  STORE_SYNC_RUNNING: {
    message:
      "Another sync is writing to this store: run {run} by {holder}, started {startedAt}, lease until {until}.",
    fix: "Let it finish, or run with --wait to start as soon as it ends. A sync killed on this host is noticed at once; one on another host once its lease lapses, {ttl} after it stopped renewing.",
    status: 409,
    retryable: true,
    exit: EXIT.usage,
  },
  STORE_REPLACED: {
    message:
      "The store file {location} was {what} while this process had it open; it stopped rather than go on with a store no other process sees.",
    fix: "Leave the store file in place while sync or watch runs. To go on with the file now at {location}, start the command again: a new store has its own change history, so its events do not continue the old one's.",
    status: 409,
    retryable: false,
    exit: EXIT.usage,
  },
  STORE_READ_ONLY: {
    message: "The store {location} cannot be written: {reason}.",
    fix: "Give the user running the connector write access to the file and its folder (SQLite keeps -wal and -shm files beside it), or point --store at a writable copy; export, resources, runs, access, grants and diff read a read-only store as it is.",
    status: 403,
    retryable: false,
    exit: EXIT.usage,
  },
  STORE_UNREACHABLE: {
    message: "The PostgreSQL store {location} cannot be reached: {reason}",
    fix: "Check that the server runs and that the URL's host, port, database, user and password are right (--store or ENTRA_STORE); a sync resumes from its last committed page once it is back.",
    status: 503,
    retryable: true,
    exit: EXIT.usage,
  },
  STORE_TIMEOUT: {
    message:
      "A statement on the PostgreSQL store {location} ran longer than its statement_timeout of {timeout} ms.",
    fix: "Raise it in the store URL (&statement_timeout=120000, in milliseconds; default 60000), or find what holds the server up (a lock another session keeps, load); a sync resumes from its last committed page.",
    status: 503,
    retryable: true,
    exit: EXIT.usage,
  },
  STORE_NOT_EMPTY: {
    message: "The store {location} already holds data (in {tables}); copying into it would mix two stores.",
    fix: "Copy into a new schema (another ?schema= in the URL), or add --force to replace everything it holds.",
    status: 409,
    retryable: false,
    exit: EXIT.usage,
  },
} as const satisfies Record<string, ErrorSpec>;
