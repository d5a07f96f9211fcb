import type { Command } from "commander";

/** Streams and environment a command runs with; injected so tests can capture output. */
export interface CommandIO {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  /** Resolves when the user asks to stop (Ctrl-C / SIGTERM); long-running commands watch it. */
  signal: AbortSignal;
}

/**
 * One CLI command per file under src/cli/commands. `configure` declares flags; `run` receives the
 * parsed options and returns the process exit code. Commands never call process.exit.
 */
/** "json": the command's failures are JSON on stderr even without --json (its results are always JSON). */
export type ErrorFormat = "text" | "json";

export interface CommandSpec<O = Record<string, unknown>> {
  name: string;
  summary: string;
  errors?: ErrorFormat;
  configure(cmd: Command): Command;
  run(options: O, args: string[], io: CommandIO): Promise<number>;
}
