/**
 * The subset of .NET custom date and time format strings that FormatDateTime understands, for
 * both reading (inputFormat) and writing (outputFormat). Everything is computed in UTC: a value
 * without an offset is taken as UTC, and one with an offset is converted to UTC.
 */

type Token = { kind: "literal"; text: string } | { kind: "field"; spec: string };

/** The letter runs we support; other runs of .NET specifier letters are refused, not guessed at. */
const FIELDS = new Set([
  "yyyy",
  "yy",
  "MM",
  "M",
  "dd",
  "d",
  "HH",
  "H",
  "hh",
  "h",
  "mm",
  "m",
  "ss",
  "s",
  "tt",
  "zzz",
  "K",
  "f",
  "ff",
  "fff",
  "ffff",
  "fffff",
  "ffffff",
  "fffffff",
]);
/** Letters .NET gives a meaning to; any other character is a literal. */
const SPECIFIER_LETTERS = new Set(["d", "f", "F", "g", "h", "H", "K", "m", "M", "s", "t", "y", "z"]);

export const SUPPORTED_FORMAT_TOKENS = [...FIELDS].filter((f) => !f.startsWith("f") || f === "f");

/** Splits a format into fields and literals; throws a plain Error naming the unsupported part. */
export function tokenizeFormat(format: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const literal = (text: string) => {
    const last = tokens.at(-1);
    if (last?.kind === "literal") last.text += text;
    else tokens.push({ kind: "literal", text });
  };
  while (i < format.length) {
    const ch = format[i]!;
    if (ch === "\\") {
      if (i + 1 >= format.length) throw new Error("format ends with a lone backslash");
      literal(format[i + 1]!);
      i += 2;
    } else if (ch === "'" || ch === '"') {
      const end = format.indexOf(ch, i + 1);
      if (end < 0) throw new Error(`unterminated quoted text in format "${format}"`);
      literal(format.slice(i + 1, end));
      i = end + 1;
    } else if (SPECIFIER_LETTERS.has(ch)) {
      let j = i;
      while (format[j] === ch) j++;
      const run = format.slice(i, j);
      if (!FIELDS.has(run)) {
        throw new Error(
          `format token "${run}" is not supported (supported: ${SUPPORTED_FORMAT_TOKENS.join(" ")}, f to fffffff)`,
        );
      }
      tokens.push({ kind: "field", spec: run });
      i = j;
    } else {
      literal(ch);
      i++;
    }
  }
  return tokens;
}

interface Parts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  millis: number;
  /** Minutes east of UTC, when the text gave one. */
  offset: number;
  pm: boolean | undefined;
  hour12: boolean;
}

/** Reads `text` laid out as `format`; null when it doesn't match or names an impossible date. */
export function parseWithFormat(text: string, format: string): Date | null {
  const tokens = tokenizeFormat(format);
  const parts: Parts = {
    year: 1,
    month: 1,
    day: 1,
    hour: 0,
    minute: 0,
    second: 0,
    millis: 0,
    offset: 0,
    pm: undefined,
    hour12: false,
  };
  let i = 0;
  const digits = (min: number, max: number): number | null => {
    let j = i;
    while (j < text.length && j - i < max && text[j]! >= "0" && text[j]! <= "9") j++;
    if (j - i < min) return null;
    const n = Number(text.slice(i, j));
    i = j;
    return n;
  };
  const offset = (allowEmpty: boolean): boolean => {
    if (text[i] === "Z") {
      i++;
      return true;
    }
    const sign = text[i];
    if (sign !== "+" && sign !== "-") return allowEmpty;
    i++;
    const h = digits(2, 2);
    if (h === null || text[i] !== ":") return false;
    i++;
    const m = digits(2, 2);
    if (m === null) return false;
    parts.offset = (sign === "-" ? -1 : 1) * (h * 60 + m);
    return true;
  };
  for (const token of tokens) {
    if (token.kind === "literal") {
      if (!text.startsWith(token.text, i)) return null;
      // A literal Z (as in "yyyyMMddHHmmss.fZ") marks UTC, which is what we assume anyway.
      i += token.text.length;
      continue;
    }
    const spec = token.spec;
    let n: number | null = 0;
    switch (spec) {
      case "yyyy":
        n = digits(4, 4);
        if (n !== null) parts.year = n;
        break;
      case "yy":
        n = digits(2, 2);
        if (n !== null) parts.year = n < 50 ? 2000 + n : 1900 + n;
        break;
      case "MM":
      case "M":
        n = digits(spec.length, 2);
        if (n !== null) parts.month = n;
        break;
      case "dd":
      case "d":
        n = digits(spec.length, 2);
        if (n !== null) parts.day = n;
        break;
      case "HH":
      case "H":
        n = digits(spec.length, 2);
        if (n !== null) parts.hour = n;
        break;
      case "hh":
      case "h":
        n = digits(spec.length, 2);
        if (n !== null) {
          parts.hour = n;
          parts.hour12 = true;
        }
        break;
      case "mm":
      case "m":
        n = digits(spec.length, 2);
        if (n !== null) parts.minute = n;
        break;
      case "ss":
      case "s":
        n = digits(spec.length, 2);
        if (n !== null) parts.second = n;
        break;
      case "tt": {
        const t = text.slice(i, i + 2).toUpperCase();
        if (t !== "AM" && t !== "PM") return null;
        parts.pm = t === "PM";
        i += 2;
        break;
      }
      case "zzz":
        if (!offset(false)) return null;
        break;
      case "K":
        if (!offset(true)) return null;
        break;
      default: {
        // f…fffffff: exactly that many fraction digits.
        n = digits(spec.length, spec.length);
        if (n !== null) parts.millis = Math.floor(n / 10 ** (spec.length - 3));
      }
    }
    if (n === null) return null;
  }
  if (i !== text.length) return null;
  if (parts.hour12) {
    if (parts.hour < 1 || parts.hour > 12) return null;
    parts.hour = (parts.hour % 12) + (parts.pm ? 12 : 0);
  } else if (parts.pm !== undefined && parts.pm && parts.hour < 12) {
    parts.hour += 12;
  }
  const { year, month, day, hour, minute, second } = parts;
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return null;
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, parts.millis);
  if (date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return null;
  return new Date(date.getTime() - parts.offset * 60_000);
}

const pad = (n: number, width: number) => String(n).padStart(width, "0");

/** Writes `date` (in UTC) laid out as `format`. */
export function formatWithFormat(date: Date, format: string): string {
  let out = "";
  for (const token of tokenizeFormat(format)) {
    if (token.kind === "literal") {
      out += token.text;
      continue;
    }
    const spec = token.spec;
    const hour12 = date.getUTCHours() % 12 || 12;
    switch (spec) {
      case "yyyy":
        out += pad(date.getUTCFullYear(), 4);
        break;
      case "yy":
        out += pad(date.getUTCFullYear() % 100, 2);
        break;
      case "MM":
      case "M":
        out += pad(date.getUTCMonth() + 1, spec.length);
        break;
      case "dd":
      case "d":
        out += pad(date.getUTCDate(), spec.length);
        break;
      case "HH":
      case "H":
        out += pad(date.getUTCHours(), spec.length);
        break;
      case "hh":
      case "h":
        out += pad(hour12, spec.length);
        break;
      case "mm":
      case "m":
        out += pad(date.getUTCMinutes(), spec.length);
        break;
      case "ss":
      case "s":
        out += pad(date.getUTCSeconds(), spec.length);
        break;
      case "tt":
        out += date.getUTCHours() < 12 ? "AM" : "PM";
        break;
      case "zzz":
        out += "+00:00";
        break;
      case "K":
        out += "Z";
        break;
      default:
        out += pad(date.getUTCMilliseconds(), 3).padEnd(7, "0").slice(0, spec.length);
    }
  }
  return out;
}

/** Entra's general date/time text, as Now and DateAdd return it: `M/d/yyyy h:mm:ss tt`. */
export const GENERAL_FORMAT = "M/d/yyyy h:mm:ss tt";

/** Reads a date/time argument: ISO 8601 (with or without offset; none means UTC) or the general format. */
export function parseDateTime(text: string): Date | null {
  const general = parseWithFormat(text, GENERAL_FORMAT);
  if (general) return general;
  const iso = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:\d{2})?$/.exec(text);
  if (!iso) return null;
  const hasZone = iso[4] !== undefined;
  const date = new Date(hasZone || !iso[1] ? text : text + "Z");
  return Number.isNaN(date.getTime()) ? null : date;
}
