/**
 * `entra-connector worker [--job-concurrency N]`: a process that only works jobs from the PostgreSQL
 * queue (ENTRA_QUEUE) — `serve --role worker`, answering nothing but /healthz, /readyz and /metrics.
 * SIGTERM stops fetching, lets a running sync stop at its page boundary (the job goes back to the
 * queue) and exits 0.
 */
import type { Command } from "commander";
import type { CommandSpec } from "../command.ts";
import { addFieldOptions } from "../field-options.ts";
import { runService, type ServeOptions } from "./serve.ts";

export const workerCommand: CommandSpec<ServeOptions> = {
  name: "worker",
  summary: "Work jobs from the shared queue (ENTRA_QUEUE) beside a `serve --role api`; no API",
  configure(cmd: Command): Command {
    return addFieldOptions(cmd, "serve");
  },
  run: (options, _args, io) => runService({ ...options, role: "worker" }, io),
};
