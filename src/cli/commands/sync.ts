/**
 * `entra-connector sync [--full] [--kinds users,groups,…] [--properties …] [--json]`: one sync run
 * into the store; `sync --user <id|UPN>` re-reads that one user (its groups, licences and roles). Progress goes to stderr (redrawn in place on a terminal, log lines otherwise); the
 * summary, or with `--json` the run record, goes to stdout.
 */
import type { Command } from "commander";
import {
  type ConfigFlags,
  createConnection,
  createError,
  describeEvent,
  EXIT,
  formatSummary,
  loadConfig,
  openStore,
  parseKinds,
  runSync,
  SYNC_KINDS,
  type SyncObserver,
  SyncProgress,
  type SyncSummary,
  syncUser,
  terminalSafeJson,
} from "../../index.ts";
import type { CommandIO, CommandSpec } from "../command.ts";

export interface SyncCommandOptions extends ConfigFlags {
  full?: boolean;
  kinds?: string;
  wait?: boolean;
  /** Sync only this user (object id or userPrincipalName). */
  user?: string;
  /** The global `--json`: print the run record as JSON. */
  json?: boolean;
}

export const syncCommand: CommandSpec<SyncCommandOptions> = {
  name: "sync",
  summary: "Sync the tenant into the store (incremental when it can, full when it must)",
  configure(cmd: Command): Command {
    return cmd
      .option("--full", "load everything again instead of following delta links")
      .option("--kinds <list>", `what to sync, comma-separated: ${SYNC_KINDS.join(",")} (default: all)`)
      .option("--wait", "if another sync is writing to the store, wait for it to end instead of exiting")
      .option("--user <id|UPN>", "sync only this user: its properties, groups, licences and directory roles")
      .option("--json", "print the run record as JSON");
    // --properties is a global connection flag (src/config/fields.ts), as ENTRA_PROPERTIES and the
    // config file's `properties` key are: one place validates all three and names the source.
  },
  async run(options, _args, io) {
    if (options.user !== undefined) return syncOneUser(options, io);
    const session = await openSyncSession(options, io);
    try {
      const summary = await session.run({ full: options.full === true, wait: options.wait === true });
      writeSummary(summary, options.json === true, io);
      return exitCodeOf(summary);
    } finally {
      await session.close();
    }
  },
};

/** `--user`: one user now, in one transaction; prints what changed (or `--json` the run and changes). */
async function syncOneUser(options: SyncCommandOptions, io: CommandIO): Promise<number> {
  const ref = options.user!.trim();
  const clash = options.full ? "--full" : options.kinds !== undefined ? "--kinds" : undefined;
  if (ref === "" || clash) {
    throw createError("CONFIG_INVALID", {
      field: "--user",
      problem: clash
        ? `${clash} does not apply to one user; leave it out (the user is read whole)`
        : "give the user's object id or userPrincipalName",
    });
  }
  const config = loadConfig({ env: io.env, flags: options });
  const store = await openStore(config.store, { thread: true });
  const connection = createConnection(config, { env: io.env });
  try {
    const result = await syncUser({
      client: connection.graph,
      store,
      tenantId: config.tenantId,
      ref,
      ...(config.properties ? { properties: config.properties } : {}),
      signal: io.signal,
    });
    if (options.json) {
      io.stdout.write(
        `${terminalSafeJson({ userId: result.userId, run: result.run, changes: result.changes })}\n`,
      );
    } else {
      for (const change of result.changes) io.stdout.write(`${describeEvent(change)}\n`);
      io.stdout.write(`${result.userId}: ${result.changes.length} change(s) (run ${result.run.number})\n`);
    }
    return EXIT.ok;
  } finally {
    await connection.close();
    await store.close();
  }
}

export interface SyncSession {
  /** One run, with live progress on stderr; `observer` also sees every page (e.g. to print changes). */
  run(input: { full: boolean; wait?: boolean; observer?: SyncObserver }): Promise<SyncSummary>;
  close(): Promise<void>;
}

/** Validates options and config (before anything is sent), opens the store and the connection. */
export async function openSyncSession(options: SyncCommandOptions, io: CommandIO): Promise<SyncSession> {
  const kinds = parseKinds(options.kinds);
  const config = loadConfig({ env: io.env, flags: options });
  const properties = config.properties;
  const store = await openStore(config.store, { thread: true });
  const connection = createConnection(config, { env: io.env });
  return {
    async run({ full, wait, observer }) {
      // The pacer spends the budget the client learned (or was told): auto counts the users first.
      // Asked before the progress starts, so the probe is not counted as the run's request.
      const tenantSize = await connection.graph.tenantSize(io.signal);
      const progress = new SyncProgress({
        out: io.stderr,
        tty: io.stderr.isTTY === true,
        clientStats: () => connection.graph.stats(),
      });
      progress.start();
      try {
        return await runSync({
          client: connection.graph,
          store,
          tenantId: config.tenantId,
          tenantSize,
          options: { kinds, properties, full, skipAdGroups: config.skipAdGroups },
          observer: observer ? both(progress, observer) : progress,
          signal: io.signal,
          wait: wait === true,
        });
      } finally {
        progress.stop();
      }
    },
    async close() {
      await connection.close();
      await store.close();
    },
  };
}

function both(a: SyncObserver, b: SyncObserver): SyncObserver {
  return {
    phase: (s, p) => {
      a.phase?.(s, p);
      b.phase?.(s, p);
    },
    page: (s, p) => {
      a.page?.(s, p);
      b.page?.(s, p);
    },
    warning: (s, m) => {
      a.warning?.(s, m);
      b.warning?.(s, m);
    },
  };
}

export function writeSummary(summary: SyncSummary, json: boolean, io: CommandIO): void {
  if (json) {
    const { run, streams, warnings, client } = summary;
    io.stdout.write(`${terminalSafeJson({ ...run, streams, warnings, client })}\n`);
  } else {
    io.stdout.write(`${formatSummary(summary).join("\n")}\n`);
  }
}

export function exitCodeOf(summary: SyncSummary): number {
  if (summary.run.status === "succeeded") return EXIT.ok;
  if (summary.run.status === "cancelled") return EXIT.cancelled;
  return EXIT.graph;
}
