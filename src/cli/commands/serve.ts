/**
 * `entra-connector serve [--listen host:port] [--metrics-open] [--shutdown-grace 25s] [--schedule …] [--role all|api|worker]`:
 * the connector as a service — HTTP API and background syncs — for the connection configured by the
 * environment (or the global flags and config file) and the connections managed through the API or
 * `connection add`. With ENTRA_QUEUE the jobs go through a PostgreSQL queue, and `--role` splits the API
 * from the workers. Runs until Ctrl-C / SIGTERM, then stops accepting, lets running syncs finish their
 * page and exits 0.
 */
import type { Command } from "commander";
import {
  type ConfigFlags,
  createLogger,
  EXIT,
  loadConnectorKey,
  loadSettings,
  openConnections,
  openServiceStateFor,
  postgresBudget,
  startService,
  VERSION,
} from "../../index.ts";
import type { CommandIO, CommandSpec } from "../command.ts";
import { addFieldOptions } from "../field-options.ts";

export interface ServeOptions extends ConfigFlags {
  json?: boolean;
}

export const serveCommand: CommandSpec<ServeOptions> = {
  name: "serve",
  summary:
    "Run as a service: HTTP API, syncs on request and on a schedule (loopback only unless --listen says otherwise)",
  configure(cmd: Command): Command {
    return addFieldOptions(cmd, "serve");
  },
  run: (options, _args, io) => runService(options, io),
};

/** `serve` and `worker` (which is `serve --role worker`). */
export async function runService(options: ServeOptions, io: CommandIO): Promise<number> {
  const settings = loadSettings({ env: io.env, flags: options });
  const logger = createLogger({ level: settings.logLevel });
  const state = await openServiceStateFor(settings);
  const key = await loadConnectorKey({
    stateDir: settings.stateDir,
    connectorKey: io.env["ENTRA_CONNECTOR_KEY"],
  });
  // Processes on one queue work the same tenants, so they spend one Graph budget per app + tenant.
  const budget = settings.service.queue && postgresBudget(settings.service.queue);
  const managed = {
    key,
    env: io.env,
    flags: options,
    stateDir: settings.stateDir,
    budget,
    store: settings.store,
  };
  const connections = await openConnections({ ...managed, state });
  const service = await startService({
    managed: { ...managed, publicUrl: settings.service.publicUrl },
    state,
    connections,
    logger,
    version: VERSION,
    listen: settings.service.listen,
    metricsOpen: settings.service.metricsOpen,
    graceMs: settings.service.shutdownGraceMs,
    tls: settings.service.tls,
    trustProxy: settings.service.trustProxy,
    allowInsecureListen: settings.service.allowInsecureListen,
    role: settings.service.role,
    jobConcurrency: settings.service.jobConcurrency,
    queue: settings.service.queue,
  });
  const { role, queue } = settings.service;
  const jobs = queue ? `jobs in the queue (schema ${queue.schema})` : "jobs in this process";
  io.stderr.write(
    role === "worker"
      ? `entra-connector worker working ${jobs}; health at ${service.url}/healthz\n`
      : `entra-connector service (role ${role}, ${jobs}) listening on ${service.url} (${connections.list().length} connection(s)); API at ${service.url}/api/v1, OpenAPI at ${service.url}/api/v1/openapi.json\n`,
  );
  if (options.json) io.stdout.write(`${JSON.stringify({ url: service.url })}\n`);
  await new Promise<void>((done) => {
    if (io.signal.aborted) done();
    else io.signal.addEventListener("abort", () => done(), { once: true });
  });
  io.stderr.write("stopping: running syncs finish their page\n");
  await service.close();
  await budget?.close();
  return EXIT.ok;
}
