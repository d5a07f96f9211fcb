/**
 * RFC 4180 CSV: fields holding a comma, quote, CR or LF are quoted and quotes doubled; null and
 * undefined are empty; objects and arrays are written as JSON.
 */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return "";
  const text = typeof value === "object" ? JSON.stringify(value) : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** One CSV record with its CRLF terminator. */
export function csvRecord(values: unknown[]): string {
  return `${values.map(csvField).join(",")}\r\n`;
}
