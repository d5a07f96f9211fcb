/**
 * `entra-connector mapping run|logs|validate`: push mapped users from the store into a mapping's
 * target (incremental from the store's changes, `--full`, `--dry-run`, one `--user`, `--follow`),
 * read the per-record log of its runs, and check a mapping file without touching anything.
 */
import { existsSync } from "node:fs";
import { setTimeout as delay } from "node:timers/promises";
import type { Command } from "commander";
import {
  type ConfigFlags,
  checkMapping,
  createError,
  describeMappingAction,
  EXIT,
  isConnectorError,
  loadMapping,
  loadSettings,
  type Mapping,
  type MappingLogEntry,
  type MappingResult,
  type MappingRunReport,
  openStore,
  openTarget,
  runMapping,
  type Store,
  terminalSafe,
  terminalSafeJson,
} from "../../index.ts";
import type { CommandIO, CommandSpec } from "../command.ts";
import { type StoreOptions, table, withStore, write } from "../store-query.ts";

export interface MappingRunOptions extends ConfigFlags {
  full?: boolean;
  dryRun?: boolean;
  user?: string;
  follow?: boolean;
  allowDeletes?: boolean;
  json?: boolean;
}

/** How often `--follow` looks at the store's outbox head. */
const FOLLOW_POLL_MS = 1000;

function fileArgument(args: string[]): string {
  const file = args[0];
  if (!file) throw createError("USAGE", { detail: "give the mapping file, e.g. mapping run assets.yaml" });
  return file;
}

export const mappingRunCommand: CommandSpec<MappingRunOptions> = {
  name: "mapping run",
  summary: "Push mapped users from the store into the mapping's target (changes since the last run)",
  configure(cmd: Command): Command {
    return cmd
      .argument("<file>", "the mapping (YAML or JSON)")
      .option("--full", "compare every user in scope with the target, not only those changed since")
      .option(
        "--dry-run",
        "show the plan (create, update old → new, disable, delete, skip) and write nothing",
      )
      .option("--user <id|UPN>", "provision this one user now and report each step")
      .option("--follow", "keep running: run again whenever a sync changes the store; Ctrl-C stops")
      .option("--allow-deletes", "carry out disables and deletes beyond the deletion threshold")
      .option("--json", "print the run's report as JSON");
  },
  async run(options, args, io) {
    const mapping = await loadMapping(fileArgument(args), { env: io.env });
    if (options.follow && (options.dryRun || options.user)) {
      throw createError("USAGE", { detail: "--follow runs for good: it takes neither --dry-run nor --user" });
    }
    if (options.user && options.full) {
      throw createError("USAGE", { detail: "--user provisions one user: --full does not apply" });
    }
    const store = await openStore(loadSettings({ env: io.env, flags: options }).store, { mustExist: true });
    try {
      if (!options.follow) return await once(mapping, store, options, io);
      return await follow(mapping, store, options, io);
    } finally {
      await store.close();
    }
  },
};

async function once(
  mapping: Mapping,
  store: Store,
  options: MappingRunOptions,
  io: CommandIO,
): Promise<number> {
  const target = openTarget(mapping);
  try {
    const report = await runMapping({
      mapping,
      store,
      target,
      full: options.full === true,
      dryRun: options.dryRun === true,
      ...(options.user ? { user: options.user } : {}),
      allowDeletes: options.allowDeletes === true,
      signal: io.signal,
    });
    await write(io.stdout, options.json ? `${terminalSafeJson(report)}\n` : formatReport(report));
    return exitCodeOf(report);
  } finally {
    await target.close();
  }
}

/** Runs, then waits for the outbox head to move past what the run took into account; Ctrl-C ends it. */
async function follow(
  mapping: Mapping,
  store: Store,
  options: MappingRunOptions,
  io: CommandIO,
): Promise<number> {
  let first = true;
  while (!io.signal.aborted) {
    try {
      await once(mapping, store, { ...options, full: first && options.full === true }, io);
    } catch (err) {
      // A quarantined or unreachable target is waited out; anything else ends the command.
      if (io.signal.aborted || !isConnectorError(err) || !err.retryable) throw err;
      io.stderr.write(`error ${err.code}: ${terminalSafe(err.message)}\n`);
    }
    first = false;
    const seen = await store.mappings.cursor(mapping.name);
    try {
      // At least one pause between runs, so a record failing at once again never makes a busy loop.
      do await delay(FOLLOW_POLL_MS, undefined, { signal: io.signal });
      while ((await store.outbox.head()) <= seen && (await dueRetries(store, mapping)) === 0);
    } catch (err) {
      if (io.signal.aborted) break;
      throw err;
    }
  }
  return EXIT.ok;
}

async function dueRetries(store: Store, mapping: Mapping): Promise<number> {
  return (await store.mappings.retries(mapping.name, Date.now())).length;
}

function exitCodeOf(report: MappingRunReport): number {
  if (report.quarantine) return EXIT.network;
  return Object.keys(report.counts).some((key) => key.endsWith(".failed")) ? EXIT.network : EXIT.ok;
}

/** The counts per action, failures with the target's answer, held actions, and a dry run's plan. */
export function formatReport(report: MappingRunReport): string {
  const lines: string[] = [];
  const run = report.run ? ` #${report.run.number}` : "";
  lines.push(
    `mapping ${report.mapping}: ${report.dryRun ? "dry run, " : ""}${report.kind} run${run}, ${report.users} user(s) looked at`,
  );
  for (const step of report.steps ?? []) lines.push(`  ${step.step}: ${step.outcome}`);
  const byAction = new Map<string, string[]>();
  for (const [key, n] of Object.entries(report.counts)) {
    const [action, result] = key.split(".") as [string, string];
    byAction.set(action, [...(byAction.get(action) ?? []), result === "ok" ? `${n}` : `${n} ${result}`]);
  }
  lines.push(
    byAction.size === 0
      ? "  nothing to do"
      : `  ${[...byAction].map(([action, parts]) => `${action} ${parts.join(", ")}`).join("; ")}`,
  );
  if (report.dryRun) {
    for (const action of report.plan.actions) {
      if (action.kind === "skip" && (action.reason === "upToDate" || action.reason === "notProvisioned"))
        continue;
      lines.push(`    ${action.userId}  ${describeMappingAction(action)}`);
    }
  }
  const failed = report.outcomes.filter((o) => o.result === "failed");
  if (failed.length > 0) lines.push(`  failed ${failed.length} (retried by later runs):`);
  for (const o of failed) {
    const key = o.action.key ? ` ${o.action.key}` : "";
    lines.push(`    ${o.action.userId} ${o.action.kind}${key}: ${o.error ?? ""}`);
  }
  const { held, threshold } = report.plan;
  if (held.length > 0) {
    lines.push(
      `  held ${held.length} disable(s)/delete(s), more than the deletion threshold (${threshold.limit}) allows; run with --allow-deletes to carry them out:`,
    );
    for (const action of held) lines.push(`    ${action.userId}  ${describeMappingAction(action)}`);
  }
  for (const n of report.notifications ?? []) {
    lines.push(
      n.sent ? `  ${n.channel} notification sent` : `  ${n.channel} notification not sent: ${n.error ?? ""}`,
    );
  }
  if (report.quarantine) {
    lines.push(
      `  target quarantined until ${new Date(report.quarantine.until).toISOString()}: ${report.quarantine.reason}`,
    );
  }
  return `${lines.map((line) => terminalSafe(line)).join("\n")}\n`;
}

export interface MappingLogsOptions extends StoreOptions {
  run?: string;
  user?: string;
  status?: string;
}

const RESULTS: readonly MappingResult[] = ["ok", "failed", "held"];

/** A mapping's name from its file (secrets are not needed for that: every `${NAME}` reads as a placeholder), or the name given. */
async function mappingName(ref: string): Promise<string> {
  if (!existsSync(ref)) return ref;
  const placeholders = new Proxy({}, { get: () => "placeholder" }) as Record<string, string>;
  return (await loadMapping(ref, { env: placeholders })).name;
}

export const mappingLogsCommand: CommandSpec<MappingLogsOptions> = {
  name: "mapping logs",
  summary: "What a mapping's runs did per record: action, old → new, result and the target's answer",
  configure(cmd: Command): Command {
    return cmd
      .argument("<name|file>", "the mapping's name or file")
      .option("--run <n>", "one run, by number or id")
      .option("--user <id|UPN>", "one user's records")
      .option("--status <result>", `only records with this result: ${RESULTS.join(", ")}`)
      .option("--json", "print the records as JSON");
  },
  async run(options, args, io) {
    const name = await mappingName(fileArgument(args));
    if (options.status !== undefined && !RESULTS.includes(options.status as MappingResult)) {
      throw createError("USAGE", {
        detail: `--status must be one of ${RESULTS.join(", ")} (got "${options.status}")`,
      });
    }
    return withStore(options, io, async (store) => {
      const runs = await store.mappings.runs(name, { limit: 100_000 });
      let runId: string | undefined;
      if (options.run !== undefined) {
        const run = await store.mappings.run(options.run);
        if (!run || run.mapping !== name) {
          throw createError("USAGE", { detail: `--run ${options.run} is not a run of mapping ${name}` });
        }
        runId = run.id;
      }
      let userId: string | undefined;
      if (options.user !== undefined) {
        userId = (await store.query.resolve(options.user, "user"))?.id ?? options.user;
      }
      const entries = await store.mappings.log(name, {
        ...(runId ? { runId } : {}),
        ...(userId ? { userId } : {}),
        ...(options.status ? { result: options.status as MappingResult } : {}),
      });
      const numbers = new Map(runs.map((r) => [r.id, r.number]));
      if (options.json) {
        const rows = entries.map((e) => ({ run: numbers.get(e.runId), ...e }));
        await write(io.stdout, `${terminalSafeJson(rows, 2)}\n`);
        return EXIT.ok;
      }
      if (entries.length === 0) {
        await write(io.stdout, `no records for mapping ${name}\n`);
        return EXIT.ok;
      }
      const rows = [["at", "run", "user", "action", "result", "reason", "target", "detail"]];
      for (const e of entries) rows.push(logRow(e, numbers.get(e.runId)));
      for (const line of table(rows)) await write(io.stdout, `${line}\n`);
      return EXIT.ok;
    });
  },
};

function logRow(entry: MappingLogEntry, run: number | undefined): string[] {
  const changes = (entry.changes ?? [])
    .map((c) => `${c.path}: ${JSON.stringify(c.old ?? null)} → ${JSON.stringify(c.new ?? null)}`)
    .join(", ");
  return [
    entry.at.slice(0, 19).replace("T", " "),
    run === undefined ? "-" : `#${run}`,
    entry.userId,
    entry.action,
    entry.result,
    entry.reason,
    entry.targetId ?? "-",
    [changes, entry.detail ?? ""].filter(Boolean).join("; "),
  ];
}

export const mappingValidateCommand: CommandSpec<{ json?: boolean }> = {
  name: "mapping validate",
  summary: "Check a mapping file: keys, expressions and target settings (no request is sent)",
  configure(cmd: Command): Command {
    return cmd.argument("<file>", "the mapping (YAML or JSON)").option("--json", "print the result as JSON");
  },
  async run(options, args, io) {
    const mapping = await loadMapping(fileArgument(args), { env: io.env });
    await checkMapping(mapping);
    const summary = {
      name: mapping.name,
      attributes: Object.keys(mapping.attributes).length,
      match: mapping.match,
      target: mapping.target.type,
    };
    await write(
      io.stdout,
      options.json
        ? `${terminalSafeJson({ valid: true, ...summary })}\n`
        : `${terminalSafe(`mapping ${summary.name} is valid: ${summary.attributes} attributes, matched on ${summary.match.join(", ")}, ${summary.target} target`)}\n`,
    );
    return EXIT.ok;
  },
};
