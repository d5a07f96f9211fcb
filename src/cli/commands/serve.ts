/**
 * `entra-connector serve [--listen host:port] [--metrics-open] [--grace-seconds n]`: the connector as a
 * service — HTTP API and background syncs — for the connection configured by the environment (or the
 * global flags and config file). Runs until Ctrl-C / SIGTERM, then stops accepting, lets running syncs
 * finish their page and exits 0.
 */
import type { Command } from "commander";
import {
  type ConfigFlags,
  connectionsFromEnvironment,
  createError,
  createLogger,
  EXIT,
  loadSettings,
  openServiceState,
  serviceStatePath,
  startService,
  VERSION,
} from "../../index.ts";
import type { CommandSpec } from "../command.ts";

export interface ServeOptions extends ConfigFlags {
  listen?: string;
  metricsOpen?: boolean;
  graceSeconds?: string;
  json?: boolean;
}

export const serveCommand: CommandSpec<ServeOptions> = {
  name: "serve",
  summary: "Run as a service: HTTP API and syncs on request (loopback only unless --listen says otherwise)",
  configure(cmd: Command): Command {
    return cmd
      .option("--listen <host:port>", "where to listen (ENTRA_LISTEN; default 127.0.0.1:8080)")
      .option("--metrics-open", "serve /metrics without a token (ENTRA_METRICS_OPEN=true)")
      .option(
        "--grace-seconds <n>",
        "how long Ctrl-C / SIGTERM lets running syncs finish their page (default 25)",
      );
  },
  async run(options, _args, io) {
    const grace = options.graceSeconds === undefined ? 25 : Number(options.graceSeconds);
    if (!Number.isFinite(grace) || grace < 0 || grace > 3600) {
      throw createError("USAGE", {
        detail: `--grace-seconds must be a number of seconds from 0 to 3600 (got "${options.graceSeconds}")`,
      });
    }
    const settings = loadSettings({ env: io.env, flags: options });
    const logger = createLogger({ level: settings.logLevel });
    const connections = connectionsFromEnvironment(io.env, options);
    const stateDir = settings.stateDir;
    const state = openServiceState(serviceStatePath(stateDir));
    const service = await startService({
      state,
      connections,
      logger,
      version: VERSION,
      listen: options.listen ?? io.env["ENTRA_LISTEN"] ?? "127.0.0.1:8080",
      metricsOpen: options.metricsOpen === true || io.env["ENTRA_METRICS_OPEN"] === "true",
      graceMs: grace * 1000,
    });
    io.stderr.write(
      `entra-connector service listening on ${service.url} (${connections.list().length} connection(s)); API at ${service.url}/api/v1, OpenAPI at ${service.url}/api/v1/openapi.json\n`,
    );
    if (options.json) io.stdout.write(`${JSON.stringify({ url: service.url })}\n`);
    await new Promise<void>((done) => {
      if (io.signal.aborted) done();
      else io.signal.addEventListener("abort", () => done(), { once: true });
    });
    io.stderr.write("stopping: running syncs finish their page\n");
    await service.close();
    return EXIT.ok;
  },
};
