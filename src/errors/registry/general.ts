import { type ErrorSpec, EXIT } from "../spec.ts";

/** Failures of the program itself, its command line and its configuration. */
export const GENERAL_ERRORS = {
  INTERNAL: {
    message: "Unexpected internal error: {detail}",
    fix: "This is a bug; please report it with the command you ran.",
    status: 500,
    retryable: false,
    exit: EXIT.internal,
  },
  USAGE: {
    message: "{detail}",
    fix: "Run the command with --help to see its options.",
    status: 400,
    retryable: false,
    exit: EXIT.usage,
  },
  CONFIG_INVALID: {
    message: "{field}: {problem}",
    status: 400,
    retryable: false,
    exit: EXIT.usage,
  },
  CONFIG_FILE_UNREADABLE: {
    message: "Config file {path} could not be read: {reason}",
    fix: "Point --config (or ENTRA_CONFIG) at a readable JSON file.",
    status: 400,
    retryable: false,
    exit: EXIT.usage,
  },
} as const satisfies Record<string, ErrorSpec>;
