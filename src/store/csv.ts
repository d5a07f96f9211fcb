/**
 * RFC 4180 CSV: fields holding a comma, quote, CR or LF are quoted and quotes doubled; null and
 * undefined are empty; objects and arrays are written as JSON.
 */
export interface CsvOptions {
  /**
   * Write text that a spreadsheet would run as a formula (it begins with `=`, `+`, `-`, `@`, tab or
   * CR) as it is. By default such text gets a leading apostrophe, which spreadsheets show as text;
   * numbers and booleans are never changed.
   */
  raw?: boolean;
}

/** Directory text is attacker-controlled: a display name like `=HYPERLINK(…)` must not become live. */
const FORMULA_START = /^[=+\-@\t\r]/;

export function csvField(value: unknown, options: CsvOptions = {}): string {
  if (value === null || value === undefined) return "";
  let text = typeof value === "object" ? JSON.stringify(value) : String(value);
  if (typeof value === "string" && !options.raw && FORMULA_START.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** One CSV record with its CRLF terminator. */
export function csvRecord(values: unknown[], options: CsvOptions = {}): string {
  return `${values.map((value) => csvField(value, options)).join(",")}\r\n`;
}
