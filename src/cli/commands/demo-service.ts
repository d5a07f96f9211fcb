/**
 * `entra-connector demo --serve` (`npm start`): the demo as a service. The emulator with a tenant that
 * keeps changing, `serve` with one connection to it synced on a short schedule, the console's URL and a
 * one-time sign-in link on stdout, each sync's progress in the terminal. Ctrl-C stops it all.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { Agent } from "undici";
import {
  createLogger,
  EXIT,
  type JobRecord,
  loadConnectorKey,
  openConnections,
  openServiceState,
  type RunningService,
  startService,
  VERSION,
} from "../../index.ts";
import type { CommandIO } from "../command.ts";
import { connectorEnv, type DemoOptions, mutate, spawnEmulator } from "./demo.ts";

/** How long the printed sign-in link works. */
const LINK_TTL_MS = 15 * 60_000;

/** The demo's usual port, or any free one when it is taken (a second demo, a real service). */
async function startOn(options: Omit<Parameters<typeof startService>[0], "listen">): Promise<RunningService> {
  try {
    return await startService({ ...options, listen: { host: "127.0.0.1", port: 8080 } });
  } catch (err) {
    if ((err as { code?: string }).code !== "SERVICE_LISTEN_FAILED") throw err;
    return startService({ ...options, listen: { host: "127.0.0.1", port: 0 } });
  }
}

function progressLine(job: JobRecord): string {
  const streams = (job.progress?.["streams"] ?? {}) as Record<
    string,
    { phase: string; objects: number; changes: number }
  >;
  const parts = Object.entries(streams).map(
    ([name, s]) => `${name} ${s.objects}${s.changes ? ` (+${s.changes})` : ""}`,
  );
  return `  sync ${job.id.slice(0, 8)} ${job.status}: ${parts.join(", ") || "starting"}`;
}

export async function runDemoService(
  options: DemoOptions & { intervalMs: number; changesPerRound: number },
  io: CommandIO,
): Promise<number> {
  const emulator = await spawnEmulator(
    [
      "--port",
      "0",
      "--size",
      options.size,
      "--seed",
      options.seed,
      "--latency",
      options.latency,
      "--throttle",
      "on",
    ],
    io,
  );
  // Its own state folder: the demo's tokens, sessions and store never mix with a real service's.
  const dir = mkdtempSync(join(tmpdir(), "entra-connector-demo-"));
  const control = new Agent({ connect: { ca: readFileSync(emulator.info.caFile, "utf8") } });
  let service: RunningService | undefined;
  try {
    const env = {
      ...io.env,
      ...connectorEnv(emulator.info, join(dir, "demo.db"), options.size),
      ENTRA_SCHEDULE: `every ${options.interval}`,
    };
    const state = openServiceState(join(dir, "service.db"));
    const managed = { key: await loadConnectorKey({ stateDir: dir }), env, stateDir: dir };
    service = await startOn({
      state,
      connections: await openConnections({ ...managed, state }),
      managed,
      logger: createLogger({ level: "warn" }),
      version: VERSION,
      metricsOpen: false,
      graceMs: 10_000,
    });
    const link = `${service.url}/console/sign-in/${await state.createSignInTicket("admin", LINK_TTL_MS)}`;
    io.stdout.write(
      `emulated tenant ${emulator.info.tenantId} (size ${options.size}, emulator pid ${emulator.child.pid}); it changes every ${options.interval}, synced on the same schedule\n` +
        `console: ${service.url}/console/\n` +
        `sign in (one-time link, admin, valid 15 minutes): ${link}\n` +
        "Ctrl-C stops the service and the emulator\n",
    );
    const first = await service.jobs.submit({
      kind: "sync",
      connectionId: "default",
      input: { full: true },
      singleton: true,
    });
    if (first.conflict === undefined) io.stdout.write(`full sync ${first.job.id.slice(0, 8)} queued\n`);
    let round = 0;
    let nextChange = Date.now() + options.intervalMs;
    const shown = new Map<string, string>();
    while (!io.signal.aborted) {
      for (const job of await service.jobs.list({ kind: "sync" })) {
        // A line when a run's figures or status move: a finished run prints once.
        const line = progressLine(job);
        if (shown.get(job.id) === line) continue;
        shown.set(job.id, line);
        io.stdout.write(`${line}\n`);
      }
      if (Date.now() >= nextChange) {
        round += 1;
        nextChange = Date.now() + options.intervalMs;
        const made = await mutate(emulator.info.controlUrl, control, options.changesPerRound, round).catch(
          () => 0,
        );
        io.stdout.write(`#${round}: the emulator made ${made} changes\n`);
      }
      await sleep(1000, undefined, { signal: io.signal }).catch(() => {});
    }
    io.stdout.write("stopping: running syncs finish their page\n");
    return EXIT.ok;
  } finally {
    await service?.close();
    await control.close();
    await emulator.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
