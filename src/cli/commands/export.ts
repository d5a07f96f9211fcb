/**
 * `entra-connector export --kind <kind> [--format jsonl|csv] [--output file]`: one kind of synced data
 * in the issue-4 shapes, streamed row by row (constant memory), ordered by ids so two exports of the
 * same data are identical. Without --output it goes to stdout.
 */
import { open, rename, rm } from "node:fs/promises";
import { finished } from "node:stream/promises";
import type { Command } from "commander";
import {
  type CsvOptions,
  createError,
  EXIT,
  EXPORT_FORMATS,
  EXPORT_KINDS,
  type ExportKind,
  exportLines,
  type Store,
} from "../../index.ts";
import type { CommandSpec } from "../command.ts";
import { type StoreOptions, withStore, write } from "../store-query.ts";

export interface ExportOptions extends StoreOptions {
  kind?: string;
  format: string;
  output?: string;
  csvRaw?: boolean;
}

type Format = (typeof EXPORT_FORMATS)[number];

export function parseExportOptions(options: ExportOptions): { kind: ExportKind; format: Format } {
  const kind = options.kind as ExportKind;
  if (!EXPORT_KINDS.includes(kind)) {
    throw createError("USAGE", {
      detail: `--kind must be one of ${EXPORT_KINDS.join(", ")} (got "${options.kind ?? ""}")`,
    });
  }
  const format = options.format as Format;
  if (!EXPORT_FORMATS.includes(format)) {
    throw createError("USAGE", { detail: `--format must be jsonl or csv (got "${options.format}")` });
  }
  return { kind, format };
}

/** Writes the export to `out`; returns the number of rows. */
export async function writeExport(
  store: Store,
  kind: ExportKind,
  format: Format,
  out: NodeJS.WritableStream,
  csv: CsvOptions = {},
): Promise<number> {
  let lines = 0;
  for await (const line of exportLines(store, kind, format, csv)) {
    await write(out, line);
    lines++;
  }
  // A CSV export's first line is its header.
  return format === "csv" ? lines - 1 : lines;
}

export const exportCommand: CommandSpec<ExportOptions> = {
  name: "export",
  summary: "Export synced users, groups, memberships, owners, apps, assignments, roles or licences",
  configure(cmd: Command): Command {
    return cmd
      .requiredOption("--kind <kind>", EXPORT_KINDS.join(", "))
      .option("--format <format>", "jsonl or csv", "jsonl")
      .option("--output <file>", "write to this file (replaced only once complete) instead of stdout")
      .option(
        "--csv-raw",
        "write CSV cells that begin with = + - @ tab or CR as they are (by default they get a leading ' so spreadsheets do not run them as formulas)",
      );
  },
  async run(options, _args, io) {
    const { kind, format } = parseExportOptions(options);
    const csv: CsvOptions = { raw: options.csvRaw === true };
    return withStore(options, io, async (store) => {
      if (!options.output) {
        const rows = await writeExport(store, kind, format, io.stdout, csv);
        io.stderr.write(`${rows} ${kind} exported\n`);
        return EXIT.ok;
      }
      // Written beside the target and renamed at the end: a failed export never leaves half a file.
      const partial = `${options.output}.partial`;
      const handle = await open(partial, "w").catch((error: Error) => {
        throw createError("USAGE", {
          detail: `--output ${options.output} cannot be written: ${error.message}`,
        });
      });
      const file = handle.createWriteStream();
      const done = finished(file);
      try {
        const rows = await writeExport(store, kind, format, file, csv);
        file.end();
        await done;
        await rename(partial, options.output);
        io.stderr.write(`${rows} ${kind} exported to ${options.output}\n`);
        return EXIT.ok;
      } catch (error) {
        file.destroy();
        await done.catch(() => {});
        await rm(partial, { force: true });
        throw error;
      }
    });
  },
};
