/**
 * An export as the lines of its file: CSV (a header, then one record per row) or JSON lines. The CLI
 * writes them to a file or stdout, the service streams them as a download.
 */
import { terminalSafeJson } from "../log/terminal.ts";
import { type CsvOptions, csvRecord } from "./csv.ts";
import type { ExportKind, Store } from "./types.ts";

export const EXPORT_FORMATS = ["jsonl", "csv"] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export async function* exportLines(
  store: Store,
  kind: ExportKind,
  format: ExportFormat,
  csv: CsvOptions = {},
): AsyncGenerator<string> {
  if (format === "csv") {
    const header = await store.query.exportColumns(kind);
    yield csvRecord(header, csv);
    for await (const row of store.query.export(kind)) {
      yield csvRecord(
        header.map((column) => row[column]),
        csv,
      );
    }
    return;
  }
  // JSON with C1 and bidi characters escaped too: a line printed to a terminal stays inert.
  for await (const row of store.query.export(kind)) yield `${terminalSafeJson(row)}\n`;
}
