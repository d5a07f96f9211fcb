/** `entra-connector runs [--limit n] [--json]`: sync runs, newest first, with their figures. */
import type { Command } from "commander";
import {
  createError,
  EXIT,
  type RunRecord,
  redactString,
  type StreamStats,
  terminalSafe,
  terminalSafeJson,
} from "../../index.ts";
import type { CommandSpec } from "../command.ts";
import { columns, type StoreOptions, withStore, write } from "../store-query.ts";

export interface RunsOptions extends StoreOptions {
  limit: string;
}

/** A run's per-stream figures summed. */
export function runTotals(run: RunRecord): StreamStats {
  const total: StreamStats = {
    objects: 0,
    changes: 0,
    requests: 0,
    resourceUnits: 0,
    throttleWaitMs: 0,
    errors: 0,
  };
  for (const s of Object.values(run.stats)) {
    for (const key of Object.keys(total) as (keyof StreamStats)[]) total[key] += s[key];
  }
  return total;
}

const WIDTHS = [4, 11, 11, 20, 9, 9, 8, 9, 9, 10];

export const runsCommand: CommandSpec<RunsOptions> = {
  name: "runs",
  summary: "List sync runs with objects, changes, requests, RU and throttling",
  configure(cmd: Command): Command {
    return cmd.option("--limit <n>", "how many runs, newest first", "20").option("--json", "print as JSON");
  },
  async run(options, _args, io) {
    const limit = Number(options.limit);
    if (!Number.isInteger(limit) || limit < 1) {
      throw createError("USAGE", {
        detail: `--limit must be a positive whole number (got "${options.limit}")`,
      });
    }
    return withStore(options, io, async (store) => {
      const runs = await store.runs.list({ limit });
      if (options.json) {
        await write(io.stdout, `${terminalSafeJson(runs, 2)}\n`);
        return EXIT.ok;
      }
      const header = [
        "#",
        "kind",
        "status",
        "started",
        "duration",
        "objects",
        "changes",
        "requests",
        "RU",
        "throttled",
      ];
      await write(io.stdout, `${columns([...header, "errors"], WIDTHS)}\n`);
      for (const run of runs) {
        const t = runTotals(run);
        const duration = run.finishedAt
          ? `${((Date.parse(run.finishedAt) - Date.parse(run.startedAt)) / 1000).toFixed(1)}s`
          : "-";
        const row = [
          String(run.number),
          run.kind,
          run.status,
          run.startedAt.slice(0, 19).replace("T", " "),
          duration,
          String(t.objects),
          String(t.changes),
          String(t.requests),
          String(Math.round(t.resourceUnits)),
          `${(t.throttleWaitMs / 1000).toFixed(1)}s`,
          String(t.errors),
        ];
        await write(io.stdout, `${columns(row, WIDTHS)}\n`);
        if (run.error) await write(io.stdout, `      error: ${terminalSafe(redactString(run.error))}\n`);
      }
      return EXIT.ok;
    });
  },
};
