/**
 * A file snapshot of the mapped records, CSV or JSON lines. The previous snapshot answers lookups, so a run
 * counts creates, updates and removals like any target; `close` writes the new snapshot whole, to a
 * temporary file that is fsync'd and renamed over the old one, so readers see the old or the new file
 * and never half of one.
 */
import { randomBytes } from "node:crypto";
import { open, readFile, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { createError } from "../../errors.ts";
import { csvRecord } from "../../store/csv.ts";
import { getPath, setPath } from "../path.ts";
import { type AttributeChange, matchKey, type TargetRecord } from "../plan.ts";
import type { MappingTarget, MatchKey } from "./target.ts";

export interface FileTargetOptions {
  path: string;
  format: "csv" | "jsonl";
  /** The mapping's match attributes; the first is the key a record is known by. */
  match: readonly string[];
  /** CSV columns, in order: the mapping's attribute paths (`active` is added when a record is disabled). */
  columns: readonly string[];
}

type Attributes = Record<string, unknown>;

/** RFC 4180 fields, quotes doubled; rows end with CRLF or LF. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      row.push(field);
      field = "";
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
    } else field += c;
  }
  if (field !== "" || row.length > 0) rows.push([...row, field]);
  return rows;
}

/**
 * A CSV cell as the value it was written from: the apostrophe put before formula-like text comes off,
 * booleans and JSON objects and lists come back; anything else stays text.
 */
function cellValue(cell: string): unknown {
  if (cell === "") return undefined;
  if (cell === "true" || cell === "false") return cell === "true";
  if (/^'[=+\-@\t\r]/.test(cell)) return cell.slice(1);
  if (/^[[{]/.test(cell)) {
    try {
      return JSON.parse(cell);
    } catch {
      return cell;
    }
  }
  return cell;
}

/** Writes `text` to a temporary file beside `path`, fsyncs it and renames it over `path`. */
async function writeAtomically(path: string, text: string): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(4).toString("hex")}.tmp`);
  try {
    const handle = await open(tmp, "wx", 0o600);
    try {
      await handle.writeFile(text, "utf8");
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw createError(
      "TARGET_WRITE_FAILED",
      { target: path, reason: (err as Error).message },
      { cause: err },
    );
  }
  // The rename is durable once the directory is; not every platform lets a directory be fsync'd.
  const dir = await open(dirname(path), "r").catch(() => undefined);
  await dir
    ?.sync()
    .catch(() => {})
    .finally(() => dir.close());
}

export function fileTarget(options: FileTargetOptions): MappingTarget {
  const key = options.match[0];
  if (key === undefined) throw createError("TARGET_CONFIG_INVALID", { field: "match", problem: "is empty" });
  const keyPath: string = key;
  if (options.format !== "csv" && options.format !== "jsonl")
    throw createError("TARGET_CONFIG_INVALID", { field: "format", problem: "must be csv or jsonl" });
  const records = new Map<string, Attributes>();
  let loaded: Promise<void> | undefined;
  let dirty = false;

  const idOf = (attributes: Attributes) => matchKey(keyPath, getPath(attributes, keyPath));

  async function load(): Promise<void> {
    let text: string;
    try {
      text = await readFile(options.path, "utf8");
    } catch (err) {
      // No snapshot yet: nothing to look up, and nothing is written unless a record is (a dry run leaves no file).
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
      throw createError("TARGET_WRITE_FAILED", { target: options.path, reason: (err as Error).message });
    }
    const rows: Attributes[] = [];
    if (options.format === "jsonl") {
      for (const line of text.split("\n")) if (line.trim() !== "") rows.push(JSON.parse(line) as Attributes);
    } else {
      const [header, ...body] = parseCsv(text);
      for (const cells of body) {
        const record: Attributes = {};
        header?.forEach((column, i) => {
          const value = cellValue(cells[i] ?? "");
          if (value !== undefined) setPath(record, column, value);
        });
        rows.push(record);
      }
    }
    for (const record of rows) {
      const id = idOf(record);
      if (id !== undefined) records.set(id, record);
    }
  }

  function ready(): Promise<void> {
    loaded ??= load();
    return loaded;
  }

  function snapshot(): string {
    // In key order, so two snapshots compare line by line.
    const all = [...records.keys()].sort().map((id) => records.get(id)!);
    if (options.format === "jsonl") return all.map((record) => `${JSON.stringify(record)}\n`).join("");
    const columns = [...options.columns];
    if (!columns.includes("active") && all.some((r) => getPath(r, "active") !== undefined))
      columns.push("active");
    return [columns, ...all.map((r) => columns.map((c) => getPath(r, c)))].map((v) => csvRecord(v)).join("");
  }

  function put(attributes: Attributes): TargetRecord {
    const id = idOf(attributes);
    if (id === undefined)
      throw createError("TARGET_CONFIG_INVALID", {
        field: keyPath,
        problem: "is blank; the file keys records by it",
      });
    const record = structuredClone(attributes);
    records.set(id, record);
    dirty = true;
    return { id, attributes: record };
  }

  return {
    capabilities: { disable: true, delete: true, groups: false, etags: false, patch: true },
    async lookup(keys: readonly MatchKey[]) {
      await ready();
      for (const { path, value } of keys) {
        const wanted = matchKey(path, value);
        if (wanted === undefined) continue;
        if (path === keyPath) {
          const record = records.get(wanted);
          if (record) return { id: wanted, attributes: record };
          continue;
        }
        for (const [id, record] of records)
          if (matchKey(path, getPath(record, path)) === wanted) return { id, attributes: record };
      }
      return undefined;
    },
    async create(attributes) {
      await ready();
      return put(attributes);
    },
    async update(id: string, changes: readonly AttributeChange[], attributes) {
      await ready();
      const current = records.get(id);
      if (!current) return put(attributes);
      const next = structuredClone(current);
      for (const change of changes) setPath(next, change.path, change.new);
      // A changed key moves the record: the id is the key.
      records.delete(id);
      return put(next);
    },
    async disable(id) {
      await ready();
      const current = records.get(id);
      if (!current) return;
      setPath(current, "active", false);
      dirty = true;
    },
    async delete(id) {
      await ready();
      if (records.delete(id)) dirty = true;
    },
    async *list() {
      await ready();
      for (const [id, attributes] of records) yield { id, attributes };
    },
    async close() {
      await ready();
      if (dirty) await writeAtomically(options.path, snapshot());
      dirty = false;
    },
  };
}
