/**
 * The emulator CLI. Prints ONE JSON line on stdout (how to reach it), then logs only to stderr.
 * SIGTERM / SIGINT close the server and exit 0; so does the end of stdin with `--exit-with-parent`
 * (a parent that spawns it with a stdin pipe then never leaves it running after it dies, even SIGKILLed).
 */
import { Command } from "commander";
import { type CliFlags, CliUsageError, optionsFromFlags, scimFromFlags } from "./cli-options.ts";
import { startEmulator } from "./emulator.ts";
import { startScimServer } from "./scim/server.ts";

const program = new Command()
  .name("graph-emulator")
  .description("Local emulator of Microsoft Graph and the Microsoft identity platform login service")
  .option("--port <n>", "port on 127.0.0.1 (0 = any free port)", "0")
  .option("--size <s|m|l|xl>", "tenant size", "s")
  .option("--seed <n>", "generator seed (same seed, same tenant)", "1")
  .option("--latency <none|graph>", "latency model", "none")
  .option("--throttle <on|off>", "resource-unit throttling", "off")
  .option("--fault-rate <0..1>", "share of Graph requests failing with 429/503/504/connection reset", "0")
  .option("--permissions <read|write|names>", "the primary app's application permissions", "write")
  .option("--http", "serve plain HTTP instead of HTTPS")
  .option("--users <n>", "explicit user count (overrides --size)")
  .option("--groups <n>", "explicit group count (overrides --size)")
  .option("--apps <n>", "explicit enterprise app count (overrides --size)")
  .option("--replication-lag-ms <n>", "how long a new object stays invisible")
  .option("--delta-token-ttl-ms <n>", "delta token lifetime (0 = never expire)")
  .option("--scim-port <n>", "also serve a SCIM 2.0 service (SCIMMY) at http://127.0.0.1:<n>/scim/v2")
  .option("--scim-token-env <name>", "the variable holding the SCIM service's bearer token", "SCIM_TOKEN")
  .option(
    "--exit-with-parent",
    "stop cleanly when stdin closes (spawn with a stdin pipe: the emulator ends when its parent does)",
  )
  .configureOutput({ writeOut: (s) => process.stderr.write(s), writeErr: (s) => process.stderr.write(s) })
  .exitOverride();

const log = (message: string) => process.stderr.write(`[graph-emulator] ${message}\n`);

async function main(): Promise<number> {
  try {
    program.parse(process.argv);
  } catch (error) {
    // Help and version end well; every refused flag or argument is a usage error, like CliUsageError.
    return (error as { exitCode?: number }).exitCode === 0 ? 0 : 2;
  }
  const flags = program.opts<CliFlags>();
  let options: ReturnType<typeof optionsFromFlags>;
  let scim: ReturnType<typeof scimFromFlags>;
  try {
    options = optionsFromFlags(flags);
    scim = scimFromFlags(flags, process.env);
  } catch (error) {
    if (error instanceof CliUsageError) {
      log(error.message);
      return 2;
    }
    throw error;
  }
  // Handlers go in before the JSON line: a supervisor may signal as soon as it reads it, and an
  // unhandled SIGTERM would kill the process without closing the server or removing its files.
  const stopped = new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      log(`${signal}: stopping`);
      resolve();
    };
    process.once("SIGTERM", () => stop("SIGTERM"));
    process.once("SIGINT", () => stop("SIGINT"));
    if (flags.exitWithParent) {
      // The pipe's write end closes when the parent exits, however it dies: stdin then ends.
      process.stdin.on("end", () => stop("stdin closed (parent gone)"));
      process.stdin.on("error", () => stop("stdin failed (parent gone)"));
      process.stdin.resume();
    }
  });
  const emu = await startEmulator({ ...options, log });
  const scimServer = scim ? await startScimServer(scim).catch(closing(emu)) : undefined;
  process.stdout.write(
    `${JSON.stringify({
      authorityHost: emu.authorityHost,
      tenantId: emu.tenantId,
      authority: emu.authority,
      graphBaseUrl: emu.graphBaseUrl,
      clientId: emu.clientId,
      clientSecret: emu.clientSecret,
      caFile: emu.caFile,
      controlUrl: emu.controlUrl,
      ...(scimServer ? { scimUrl: scimServer.url } : {}),
    })}\n`,
  );
  await stopped;
  await scimServer?.close();
  await emu.close();
  // A stdin still being read would keep the process alive after a signal.
  if (flags.exitWithParent) process.stdin.destroy();
  return 0;
}

/** Closes the emulator when what was to start beside it (the SCIM service's port taken) failed. */
function closing(emu: { close(): Promise<void> }) {
  return async (error: unknown): Promise<never> => {
    await emu.close();
    throw error;
  };
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    log(`failed to start: ${(error as Error)?.message ?? String(error)}`);
    process.exitCode = 1;
  },
);
