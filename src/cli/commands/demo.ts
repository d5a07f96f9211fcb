/**
 * `entra-connector demo` (`npm start`): the connector's main job on an emulated tenant. Starts the
 * emulator as a child process (its package bin, on this same Node; the connector never imports it),
 * runs a full sync into a demo store with live progress, then every few seconds asks the emulator to
 * make some changes, syncs incrementally and prints what changed. Ctrl-C stops cleanly; a demo killed
 * outright (SIGKILL) takes the emulator with it, since the emulator ends when its stdin pipe closes.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";
import type { Command } from "commander";
import { Agent } from "undici";
import { type ChangeEvent, createError, describeEvent, EXIT, parseDuration } from "../../index.ts";
import type { CommandIO, CommandSpec } from "../command.ts";
import { runDemoService } from "./demo-service.ts";
import { emulatorBin } from "./emulator.ts";
import { openSyncSession } from "./sync.ts";

/** Each has its default in `configure`. */
export interface DemoOptions {
  size: string;
  seed: string;
  latency: string;
  interval: string;
  changes: string;
  /** The global `--store`; the demo store is recreated at start (default ./entra-connector-demo.db). */
  store?: string;
  /** The global `--config`: its settings apply, except those pointing at the emulator and the store. */
  config?: string;
  /** As a service with the web console (`npm start`), instead of syncs printed in the terminal. */
  serve?: boolean;
  /** The emulator also serves a SCIM 2.0 service on this port, for mappings to push into. */
  scimPort?: string;
  scimTokenEnv: string;
}

/** What the emulator prints on its one stdout line (its README, "Start it"). */
export interface EmulatorInfo {
  authorityHost: string;
  tenantId: string;
  graphBaseUrl: string;
  clientId: string;
  clientSecret: string;
  caFile: string;
  controlUrl: string;
  /** With `--scim-port`: the SCIM service's base URL. */
  scimUrl?: string;
}

/**
 * The settings that point the connector at a running emulator, as a user would set them; the read
 * budget follows the emulated size (< 50 users is a small tenant).
 */
export function connectorEnv(info: EmulatorInfo, storePath: string, size: string): NodeJS.ProcessEnv {
  return {
    ENTRA_TENANT_ID: info.tenantId,
    ENTRA_CLIENT_ID: info.clientId,
    ENTRA_CLIENT_SECRET: info.clientSecret,
    ENTRA_AUTHORITY_HOST: info.authorityHost,
    ENTRA_GRAPH_URL: info.graphBaseUrl.replace(/\/v1\.0\/?$/, ""),
    ENTRA_CA_FILE: info.caFile,
    ENTRA_STORE: storePath,
    ENTRA_TENANT_SIZE: size === "s" ? "small" : "large",
  };
}

export const demoCommand: CommandSpec<DemoOptions> = {
  name: "demo",
  summary: "Sync an emulated tenant: full load, then incremental syncs while the emulator makes changes",
  configure(cmd: Command): Command {
    return cmd
      .option("--size <size>", "emulated tenant size: s, m, l or xl", "m")
      .option("--seed <n>", "tenant generator seed", "1")
      .option("--latency <model>", "none or graph (Graph-like page latency)", "graph")
      .option("--interval <duration>", "pause between incremental syncs, e.g. 5s, 1m (100ms to 24d)", "5s")
      .option("--changes <n>", "changes the emulator makes before each incremental sync", "25")
      .option("--scim-port <n>", "also serve a SCIM 2.0 service at http://127.0.0.1:<n>/scim/v2 for mappings")
      .option("--scim-token-env <name>", "the variable holding that service's bearer token", "SCIM_TOKEN")
      .option(
        "--serve",
        "run it as a service with the web console: prints its URL and a one-time sign-in link",
      );
  },
  async run(options, _args, io) {
    const intervalMs = parseDuration(options.interval, "--interval");
    const changes = positive(options.changes);
    const storePath = options.store ?? "./entra-connector-demo.db";
    const size = options.size;
    if (!["s", "m", "l", "xl"].includes(size)) {
      throw createError("USAGE", { detail: `--size must be s, m, l or xl (got "${size}")` });
    }
    if (changes === undefined) {
      throw createError("USAGE", {
        detail: `--changes must be a positive number (got "${options.changes}")`,
      });
    }
    if (options.scimPort !== undefined && options.serve) {
      throw createError("USAGE", {
        detail: "--scim-port goes with the terminal demo, not --serve (whose service takes port 8080)",
      });
    }
    if (options.scimPort !== undefined && !io.env[options.scimTokenEnv]) {
      throw createError("USAGE", {
        detail: `--scim-port needs the SCIM service's bearer token in $${options.scimTokenEnv}; export it (any printable text without spaces) or name another variable with --scim-token-env`,
      });
    }
    if (options.serve) return runDemoService({ ...options, intervalMs, changesPerRound: changes }, io);

    const emulator = await spawnEmulator(
      [
        "--port",
        "0",
        "--size",
        size,
        "--seed",
        options.seed,
        "--latency",
        options.latency,
        "--throttle",
        "on",
        ...(options.scimPort === undefined
          ? []
          : ["--scim-port", options.scimPort, "--scim-token-env", options.scimTokenEnv]),
      ],
      io,
    );
    const ca = readFileSync(emulator.info.caFile, "utf8");
    const control = new Agent({ connect: { ca } });
    for (const suffix of ["", "-wal", "-shm"]) rmSync(`${storePath}${suffix}`, { force: true });
    const env = { ...io.env, ...connectorEnv(emulator.info, storePath, size) };
    const session = await openSyncSession(options.config ? { config: options.config } : {}, { ...io, env });
    try {
      io.stdout.write(
        `emulated tenant ${emulator.info.tenantId} (size ${size}, emulator pid ${emulator.child.pid}); full sync into ${storePath}\n`,
      );
      if (emulator.info.scimUrl) {
        io.stdout.write(
          `SCIM 2.0 service at ${emulator.info.scimUrl} (bearer token from $${options.scimTokenEnv})\n`,
        );
      }
      const first = await session.run({ full: true });
      io.stdout.write(
        `full sync ${first.run.status}: ${first.totals.objects} objects in ${(first.durationMs / 1000).toFixed(1)} s\n`,
      );
      for (let round = 1; !io.signal.aborted; round++) {
        await sleep(intervalMs, undefined, { signal: io.signal }).catch(() => {});
        if (io.signal.aborted) break;
        const made = await mutate(emulator.info.controlUrl, control, changes, round);
        const events: ChangeEvent[] = [];
        const summary = await session.run({
          full: false,
          observer: { events: (_s, e) => events.push(...e) },
        });
        io.stdout.write(
          `\n#${round}: emulator made ${made} changes; incremental sync ${summary.run.status} in ${(summary.durationMs / 1000).toFixed(1)} s, ${summary.client.requests} requests, ${events.length} change events\n`,
        );
        for (const e of events.slice(0, 40)) io.stdout.write(`  ${describeEvent(e)}\n`);
        if (events.length > 40) io.stdout.write(`  … and ${events.length - 40} more\n`);
      }
      io.stdout.write("stopped\n");
      return EXIT.ok;
    } finally {
      await session.close();
      await control.close();
      await emulator.stop();
    }
  },
};

function positive(text: string): number | undefined {
  const n = Number(text);
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

export async function mutate(
  controlUrl: string,
  dispatcher: Agent,
  count: number,
  seed: number,
): Promise<number> {
  const res = await fetch(`${controlUrl}/mutate`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ count, seed }),
    dispatcher,
  });
  if (!res.ok) throw new Error(`the emulator refused to mutate: HTTP ${res.status}`);
  const body = (await res.json()) as unknown;
  const list = Array.isArray(body) ? body : ((body as { changes?: unknown[] }).changes ?? []);
  return list.length;
}

/**
 * Starts the emulator bin on this Node and reads its one JSON line; its stderr logs are drained. It
 * runs with `--exit-with-parent` on a stdin pipe: however this process ends, even SIGKILLed, the pipe
 * closes and the emulator stops instead of running on as an orphan.
 */
export async function spawnEmulator(
  args: string[],
  io: CommandIO,
): Promise<{ info: EmulatorInfo; child: ChildProcess; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [emulatorBin(), ...args, "--exit-with-parent"], {
    stdio: ["pipe", "pipe", "pipe"],
    env: io.env,
  });
  child.stdin?.on("error", () => {}); // EPIPE once it has gone: its exit is what matters
  child.stderr?.on("data", () => {}); // its logs are noise in the demo; drained so it never blocks
  const exited = new Promise<void>((done) => child.once("exit", () => done()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    await exited;
  };
  const lines = createInterface({ input: child.stdout! });
  try {
    const first = await Promise.race([
      new Promise<string>((done) => lines.once("line", done)),
      exited.then(() => {
        throw new Error(`the emulator exited before it was ready (exit code ${child.exitCode})`);
      }),
      sleep(120_000, undefined, { signal: io.signal }).then(() => {
        throw new Error("the emulator did not start within 2 minutes");
      }),
    ]);
    lines.close();
    return { info: JSON.parse(first) as EmulatorInfo, child, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
