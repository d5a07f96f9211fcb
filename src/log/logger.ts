import { type DestinationStream, type Logger, pino } from "pino";
import { redact, redactString } from "./redact.ts";

export type { Logger } from "pino";
export type LogLevel = "trace" | "debug" | "info" | "warn" | "error" | "fatal" | "silent";

export interface LoggerOptions {
  level?: LogLevel;
  /** Where lines go; stderr by default so stdout stays clean for command output. */
  destination?: DestinationStream;
  name?: string;
}

/**
 * The connector's pino logger: JSON lines to stderr, with every object and message scrubbed of
 * secrets (Authorization, client_secret, client_assertion, refresh/access tokens, auth codes, PKCE
 * verifiers, passwords) at any depth.
 *
 * @example
 *   const log = createLogger({ level: "debug" });
 *   log.debug({ url }, "request");
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? "info",
      name: options.name ?? "entra-connector",
      formatters: { log: (obj) => redact(obj) as Record<string, unknown> },
      hooks: {
        logMethod(args, method) {
          // Messages and printf arguments are scrubbed as well as the merged object.
          const cleaned = args.map((a) => (typeof a === "string" ? redactString(a) : a));
          return method.apply(this, cleaned as Parameters<typeof method>);
        },
      },
      serializers: { err: (e: unknown) => redact(e) },
    },
    options.destination ?? pino.destination({ dest: 2, sync: true }),
  );
}

/** A logger that drops everything, for library callers that pass none. */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
