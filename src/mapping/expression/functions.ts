/**
 * The functions an expression may call: their arity, the checks the parser makes on their
 * arguments, and what they compute. Semantics follow Entra's provisioning expressions; where
 * Entra leaves a case open (multiple app roles, a null source for Append, …) the choice is ours
 * and docs/mapping-expressions.md states it.
 */

import type { Expression, Value } from "./ast.ts";
import {
  formatWithFormat,
  GENERAL_FORMAT,
  parseDateTime,
  parseWithFormat,
  tokenizeFormat,
} from "./datetime.ts";

export interface EvaluateOptions {
  /** SelectUniqueValue asks this whether a candidate is free in the target; without it the first non-empty candidate wins. */
  isUnique?: (value: string) => boolean;
  /** The clock Now reads; defaults to the system clock. */
  now?: () => Date;
}

/** What a function implementation gets: lazy access to its arguments, so IIF and Coalesce only evaluate what they need. */
export interface CallContext {
  readonly count: number;
  /** Whether argument `i` was given (present and not an empty slot). */
  given(i: number): boolean;
  value(i: number): Value;
  /** The unconverted source data behind a reference argument (for SingleAppRoleAssignment). */
  raw(i: number): unknown;
  /** Reads an attribute by name, as a `[name]` reference would. */
  attribute(path: string): Value;
  readonly options: EvaluateOptions;
}

/**
 * - `value`: anything; `integer`: a whole number; `reference`: must be written as `[attribute]`;
 * - `regex`, `culture`, `format`: strings that, when written as constants, are checked while parsing.
 */
export type ParamKind = "value" | "integer" | "reference" | "regex" | "culture" | "format";

export interface FunctionSpec {
  name: string;
  min: number;
  max: number;
  /** Parameter kinds by position; the last one repeats for variadic functions. */
  params: ParamKind[];
  /** For functions whose parameters shift with the argument count. */
  paramsFor?: (count: number) => ParamKind[];
  /** Positions that may be left as empty slots. */
  optional?: number[];
  /** How many arguments it takes, in words, for arity errors. */
  arity: string;
  /** Further checks on the call as written; returns a problem, or undefined. */
  check?: (args: Expression[]) => string | undefined;
  call(ctx: CallContext): Value;
}

// ---- conversions -------------------------------------------------------------------------------

/** Text of a single value; multi-valued values join with "," so nothing is silently dropped. */
export function text(value: Value): string | null {
  if (value === null) return null;
  if (Array.isArray(value)) return value.join(",");
  if (typeof value === "boolean") return value ? "True" : "False";
  return String(value);
}

/** Applies a string transform to a value, element by element for multi-valued values. */
function mapText(value: Value, fn: (s: string) => string): Value {
  if (value === null) return null;
  if (Array.isArray(value)) return value.map(fn);
  return fn(text(value)!);
}

function integer(value: Value): number | null {
  const s = text(value);
  if (s === null || s.trim() === "") return null;
  const n = Number(s);
  return Number.isInteger(n) ? n : null;
}

function truthy(value: Value): boolean {
  return value === true || (typeof value === "string" && value.toLowerCase() === "true");
}

function isNullOrEmpty(value: Value): boolean {
  return value === null || value === "" || (Array.isArray(value) && value.length === 0);
}

function values(value: Value): string[] {
  if (value === null) return [];
  return Array.isArray(value) ? value : [text(value)!];
}

// ---- helpers for particular functions ---------------------------------------------------------

/** Letters that carry no combining mark in Unicode, so NFD alone leaves them alone. */
const DIACRITIC_LETTERS: Record<string, string> = {
  ø: "o",
  Ø: "O",
  ł: "l",
  Ł: "L",
  đ: "d",
  Đ: "D",
  ħ: "h",
  Ħ: "H",
  ı: "i",
  ß: "ss",
  æ: "ae",
  Æ: "AE",
  œ: "oe",
  Œ: "OE",
  þ: "th",
  Þ: "Th",
  ð: "d",
  Ð: "D",
};

function normalizeDiacritics(s: string): string {
  let out = "";
  for (const ch of s.normalize("NFD")) {
    const code = ch.codePointAt(0)!;
    if (code >= 0x300 && code <= 0x36f) continue;
    out += DIACRITIC_LETTERS[ch] ?? ch;
  }
  return out.normalize("NFC");
}

function literalString(arg: Expression | undefined): string | undefined {
  return arg?.kind === "string" ? arg.value : undefined;
}

function compileRegex(pattern: string, flags: string): RegExp | null {
  try {
    return new RegExp(pattern, flags);
  } catch {
    return null;
  }
}

/** Expands a .NET-style replacement: `$1`, `${name}`, `$0` and `$$`. */
function expandReplacement(replacement: string, match: RegExpExecArray): string {
  let out = "";
  for (let i = 0; i < replacement.length; i++) {
    const ch = replacement[i]!;
    const next = replacement[i + 1];
    if (ch !== "$" || next === undefined) {
      out += ch;
    } else if (next === "$") {
      out += "$";
      i++;
    } else if (next === "{") {
      const end = replacement.indexOf("}", i + 2);
      const name = end < 0 ? undefined : replacement.slice(i + 2, end);
      if (name === undefined) {
        out += ch;
        continue;
      }
      const group = /^\d+$/.test(name) ? match[Number(name)] : match.groups?.[name];
      out += group ?? "";
      i = end;
    } else if (next >= "0" && next <= "9") {
      out += match[Number(next)] ?? "";
      i++;
    } else {
      out += ch;
    }
  }
  return out;
}

function regexReplace(source: string, regex: RegExp, replace: (m: RegExpExecArray) => string): string {
  let out = "";
  let last = 0;
  for (const m of source.matchAll(regex)) {
    out += source.slice(last, m.index) + replace(m);
    last = m.index + m[0].length;
  }
  return out + source.slice(last);
}

/** Replaces only the named group's text inside each match. */
function replaceGroup(source: string, regex: RegExp, group: string, replacement: string): string {
  return regexReplace(source, regex, (m) => {
    const span = m.indices?.groups?.[group];
    if (!span) return m[0];
    const start = span[0] - m.index;
    const end = span[1] - m.index;
    return m[0].slice(0, start) + replacement + m[0].slice(end);
  });
}

const REPLACE = {
  source: 0,
  oldValue: 1,
  regexPattern: 2,
  regexGroupName: 3,
  replacementValue: 4,
  replacementAttributeName: 5,
  template: 6,
};

function checkReplace(args: Expression[]): string | undefined {
  const has = (i: number) => args[i] !== undefined && args[i]!.kind !== "omitted";
  const R = REPLACE;
  if (has(R.oldValue) && has(R.regexPattern)) return "Replace takes oldValue or regexPattern, not both";
  if (has(R.oldValue)) {
    if (has(R.replacementValue) === has(R.template)) {
      return "Replace with oldValue needs exactly one of replacementValue (argument 5) or template (argument 7)";
    }
    return undefined;
  }
  if (has(R.regexPattern)) {
    if (has(R.template)) return "Replace with regexPattern does not use template (argument 7)";
    if (has(R.replacementAttributeName) && !has(R.regexGroupName)) {
      return "Replace with replacementAttributeName (argument 6) needs regexGroupName (argument 4)";
    }
    if (has(R.replacementValue) === has(R.replacementAttributeName)) {
      return "Replace with regexPattern needs exactly one of replacementValue (argument 5) or replacementAttributeName (argument 6)";
    }
    const group = literalString(args[R.regexGroupName]);
    const pattern = literalString(args[R.regexPattern]);
    if (group !== undefined && pattern !== undefined && !pattern.includes(`(?<${group}>`)) {
      return `Replace: regexPattern has no group named "${group}"`;
    }
    return undefined;
  }
  return "Replace needs oldValue (argument 2) or regexPattern (argument 3)";
}

function callReplace(ctx: CallContext): Value {
  const R = REPLACE;
  const source = text(ctx.value(R.source));
  if (source === null) return null;
  if (ctx.given(R.oldValue)) {
    const oldValue = text(ctx.value(R.oldValue)) ?? "";
    if (ctx.given(R.template)) {
      const template = text(ctx.value(R.template));
      return template === null || oldValue === "" ? template : template.replaceAll(oldValue, source);
    }
    return oldValue === "" ? source : source.replaceAll(oldValue, text(ctx.value(R.replacementValue)) ?? "");
  }
  const pattern = text(ctx.value(R.regexPattern));
  const regex = pattern === null ? null : compileRegex(pattern, "gd");
  if (!regex) return null;
  const group = ctx.given(R.regexGroupName) ? text(ctx.value(R.regexGroupName)) : null;
  if (ctx.given(R.replacementAttributeName)) {
    const name = text(ctx.value(R.replacementAttributeName));
    const replacement = name === null ? null : text(ctx.attribute(name));
    if (replacement === null || group === null) return source;
    return replaceGroup(source, regex, group, replacement);
  }
  const replacement = text(ctx.value(R.replacementValue)) ?? "";
  if (group !== null) return replaceGroup(source, regex, group, replacement);
  return regexReplace(source, regex, (m) => expandReplacement(replacement, m));
}

interface AppRoleAssignment {
  appRoleId?: unknown;
  appRoleValue?: unknown;
  displayName?: unknown;
}

/** The role's value, else its display name; entries with neither (such as default access) don't count. */
function appRoleName(entry: unknown): string | null {
  if (typeof entry !== "object" || entry === null) return null;
  const { appRoleValue, displayName } = entry as AppRoleAssignment;
  if (typeof appRoleValue === "string" && appRoleValue !== "") return appRoleValue;
  if (typeof displayName === "string" && displayName !== "") return displayName;
  return null;
}

const DATE_INTERVALS: Record<string, (d: Date, n: number) => void> = {
  yyyy: (d, n) => d.setUTCFullYear(d.getUTCFullYear() + n),
  q: (d, n) => d.setUTCMonth(d.getUTCMonth() + 3 * n),
  m: (d, n) => d.setUTCMonth(d.getUTCMonth() + n),
  y: (d, n) => d.setUTCDate(d.getUTCDate() + n),
  d: (d, n) => d.setUTCDate(d.getUTCDate() + n),
  w: (d, n) => d.setUTCDate(d.getUTCDate() + n),
  ww: (d, n) => d.setUTCDate(d.getUTCDate() + 7 * n),
  h: (d, n) => d.setUTCHours(d.getUTCHours() + n),
  n: (d, n) => d.setUTCMinutes(d.getUTCMinutes() + n),
  s: (d, n) => d.setUTCSeconds(d.getUTCSeconds() + n),
};

function caseFn(name: "ToLower" | "ToUpper"): FunctionSpec {
  return {
    name,
    min: 1,
    max: 2,
    params: ["value", "culture"],
    arity: "1 or 2 (source, optional culture)",
    call(ctx) {
      // No culture means the invariant rules; a culture that isn't valid at run time falls back to them.
      const culture = (ctx.given(1) ? text(ctx.value(1)) : null) || undefined;
      return mapText(ctx.value(0), (s) => {
        try {
          return name === "ToLower"
            ? s.toLocaleLowerCase(culture ?? "und")
            : s.toLocaleUpperCase(culture ?? "und");
        } catch {
          return name === "ToLower" ? s.toLowerCase() : s.toUpperCase();
        }
      });
    },
  };
}

const SPECS: FunctionSpec[] = [
  {
    name: "Append",
    min: 2,
    max: 2,
    params: ["value", "value"],
    arity: "2 (source, suffix)",
    call: (ctx) => mapText(ctx.value(0), (s) => s + (text(ctx.value(1)) ?? "")),
  },
  {
    name: "Coalesce",
    min: 1,
    max: Number.POSITIVE_INFINITY,
    params: ["value"],
    arity: "at least 1 (source1, source2, …, defaultValue)",
    call(ctx) {
      for (let i = 0; i < ctx.count; i++) {
        const v = ctx.value(i);
        if (v !== null) return v;
      }
      return null;
    },
  },
  {
    name: "DateAdd",
    min: 3,
    max: 3,
    params: ["value", "integer", "value"],
    arity: "3 (interval, value, dateTime)",
    check(args) {
      const interval = literalString(args[0]);
      if (interval !== undefined && !Object.hasOwn(DATE_INTERVALS, interval)) {
        return `DateAdd interval "${interval}" is not one of ${Object.keys(DATE_INTERVALS).join(", ")}`;
      }
      return undefined;
    },
    call(ctx) {
      const interval = text(ctx.value(0));
      const n = integer(ctx.value(1));
      const when = text(ctx.value(2));
      const date = when === null ? null : parseDateTime(when);
      if (interval === null || !Object.hasOwn(DATE_INTERVALS, interval) || n === null || !date) return null;
      DATE_INTERVALS[interval]!(date, n);
      return formatWithFormat(date, GENERAL_FORMAT);
    },
  },
  {
    name: "FormatDateTime",
    min: 3,
    max: 4,
    params: ["value", "value", "format", "format"],
    paramsFor: (count) =>
      count === 3 ? ["value", "format", "format"] : ["value", "value", "format", "format"],
    optional: [1],
    arity: "3 or 4 (source, optional dateTimeStyles, inputFormat, outputFormat)",
    check(args) {
      if (args.length === 3 && args[1]?.kind === "omitted")
        return "FormatDateTime's inputFormat may not be empty";
      return undefined;
    },
    call(ctx) {
      const base = ctx.count === 4 ? 2 : 1;
      const source = text(ctx.value(0));
      const inputFormat = text(ctx.value(base));
      const outputFormat = text(ctx.value(base + 1));
      if (source === null || inputFormat === null || outputFormat === null) return null;
      try {
        const date = parseWithFormat(source.trim(), inputFormat);
        return date ? formatWithFormat(date, outputFormat) : null;
      } catch {
        return null;
      }
    },
  },
  {
    name: "IIF",
    min: 3,
    max: 3,
    params: ["value", "value", "value"],
    arity: "3 (condition, valueIfTrue, valueIfFalse)",
    call: (ctx) => (truthy(ctx.value(0)) ? ctx.value(1) : ctx.value(2)),
  },
  {
    name: "IsNull",
    min: 1,
    max: 1,
    params: ["value"],
    arity: "1 (expression)",
    call: (ctx) => ctx.value(0) === null,
  },
  {
    name: "IsNullOrEmpty",
    min: 1,
    max: 1,
    params: ["value"],
    arity: "1 (expression)",
    call: (ctx) => isNullOrEmpty(ctx.value(0)),
  },
  {
    name: "IsPresent",
    min: 1,
    max: 1,
    params: ["value"],
    arity: "1 (expression)",
    call: (ctx) => !isNullOrEmpty(ctx.value(0)),
  },
  {
    name: "Item",
    min: 2,
    max: 2,
    params: ["value", "integer"],
    arity: "2 (attribute, index counted from 1)",
    check(args) {
      const index = args[1];
      if (index?.kind === "number" && index.value < 1) return "Item's index counts from 1";
      return undefined;
    },
    call(ctx) {
      const index = integer(ctx.value(1));
      const list = values(ctx.value(0));
      return index === null || index < 1 ? null : (list[index - 1] ?? null);
    },
  },
  {
    name: "Join",
    min: 2,
    max: Number.POSITIVE_INFINITY,
    params: ["value"],
    arity: "at least 2 (separator, source1, source2, …)",
    call(ctx) {
      const parts: string[] = [];
      for (let i = 1; i < ctx.count; i++) parts.push(...values(ctx.value(i)));
      return parts.join(text(ctx.value(0)) ?? "");
    },
  },
  {
    name: "Left",
    min: 2,
    max: 2,
    params: ["value", "integer"],
    arity: "2 (string, numChars)",
    call(ctx) {
      const s = text(ctx.value(0));
      const n = integer(ctx.value(1));
      if (s === null) return "";
      if (n === null || n < 0) return s;
      return [...s].slice(0, n).join("");
    },
  },
  {
    name: "Mid",
    min: 3,
    max: 3,
    params: ["value", "integer", "integer"],
    arity: "3 (source, start counted from 1, length)",
    call(ctx) {
      const s = text(ctx.value(0));
      const start = integer(ctx.value(1));
      const length = integer(ctx.value(2));
      if (s === null || start === null || length === null || length <= 0) return "";
      const from = Math.max(start, 1) - 1;
      return [...s].slice(from, from + length).join("");
    },
  },
  {
    name: "NormalizeDiacritics",
    min: 1,
    max: 1,
    params: ["value"],
    arity: "1 (source)",
    call: (ctx) => mapText(ctx.value(0), normalizeDiacritics),
  },
  {
    name: "Not",
    min: 1,
    max: 1,
    params: ["value"],
    arity: "1 (source)",
    call: (ctx) => !truthy(ctx.value(0)),
  },
  {
    name: "Now",
    min: 0,
    max: 0,
    params: [],
    arity: "none",
    call: (ctx) => formatWithFormat((ctx.options.now ?? (() => new Date()))(), GENERAL_FORMAT),
  },
  {
    name: "Replace",
    min: 7,
    max: 7,
    params: ["value", "value", "regex", "value", "value", "value", "value"],
    optional: [1, 2, 3, 4, 5, 6],
    arity:
      "7 (source, oldValue, regexPattern, regexGroupName, replacementValue, replacementAttributeName, template; leave unused ones empty)",
    check: checkReplace,
    call: callReplace,
  },
  {
    name: "SelectUniqueValue",
    min: 2,
    max: Number.POSITIVE_INFINITY,
    params: ["value"],
    arity: "at least 2 (uniqueValueRule1, uniqueValueRule2, …)",
    call(ctx) {
      for (let i = 0; i < ctx.count; i++) {
        const candidate = text(ctx.value(i));
        if (candidate === null || candidate === "") continue;
        if (!ctx.options.isUnique || ctx.options.isUnique(candidate)) return candidate;
      }
      return null;
    },
  },
  {
    name: "SingleAppRoleAssignment",
    min: 1,
    max: 1,
    params: ["reference"],
    arity: "1 ([appRoleAssignments])",
    call(ctx) {
      const raw = ctx.raw(0);
      if (!Array.isArray(raw)) return null;
      // Entra leaves the choice among several roles unspecified; the lowest name keeps ours stable.
      const names = raw.map(appRoleName).filter((n): n is string => n !== null);
      return names.length ? names.sort()[0]! : null;
    },
  },
  {
    name: "Split",
    min: 2,
    max: 2,
    params: ["value", "value"],
    arity: "2 (source, delimiter)",
    call(ctx) {
      const s = text(ctx.value(0));
      if (s === null) return null;
      const delimiter = text(ctx.value(1)) ?? "";
      return delimiter === "" ? [s] : s.split(delimiter);
    },
  },
  {
    name: "StripSpaces",
    min: 1,
    max: 1,
    params: ["value"],
    arity: "1 (source)",
    call: (ctx) => mapText(ctx.value(0), (s) => s.replaceAll(" ", "")),
  },
  {
    name: "Switch",
    min: 4,
    max: Number.POSITIVE_INFINITY,
    params: ["value"],
    optional: [1],
    arity: "an even number, at least 4 (source, defaultValue, key1, value1, key2, value2, …)",
    check: (args) =>
      args.length % 2 ? "Switch needs its keys and values in pairs (an even number of arguments)" : undefined,
    call(ctx) {
      const source = text(ctx.value(0));
      if (source !== null) {
        for (let i = 2; i < ctx.count; i += 2) {
          if (text(ctx.value(i)) === source) return ctx.value(i + 1);
        }
      }
      return ctx.value(1);
    },
  },
  caseFn("ToLower"),
  caseFn("ToUpper"),
  {
    name: "Word",
    min: 3,
    max: 3,
    params: ["value", "integer", "value"],
    arity: "3 (string, wordNumber counted from 1, delimiters)",
    call(ctx) {
      const s = text(ctx.value(0));
      const n = integer(ctx.value(1));
      const delimiters = new Set(text(ctx.value(2)) ?? "");
      if (s === null || n === null || n < 1) return "";
      const words: string[] = [];
      let current = "";
      for (const ch of s) {
        if (delimiters.has(ch)) {
          if (current) words.push(current);
          current = "";
        } else {
          current += ch;
        }
      }
      if (current) words.push(current);
      return words[n - 1] ?? "";
    },
  },
];

/** Functions by lower-cased name: names are case-insensitive. */
export const FUNCTIONS: ReadonlyMap<string, FunctionSpec> = new Map(
  SPECS.map((s) => [s.name.toLowerCase(), s]),
);

export const FUNCTION_NAMES: readonly string[] = SPECS.map((s) => s.name);

/** Checks a constant argument against its parameter kind; returns a problem, or undefined. */
export function checkConstant(kind: ParamKind, arg: Expression): string | undefined {
  if (kind === "reference")
    return arg.kind === "reference"
      ? undefined
      : "must be an attribute reference such as [appRoleAssignments]";
  if (kind === "integer") {
    if (arg.kind === "boolean") return "must be a whole number";
    const value =
      arg.kind === "number" ? arg.value : arg.kind === "string" ? Number(arg.value.trim() || Number.NaN) : 0;
    return Number.isInteger(value) ? undefined : "must be a whole number";
  }
  if (arg.kind !== "string") return undefined;
  if (kind === "regex" && !compileRegex(arg.value, "gd"))
    return `is not a valid regular expression: ${quoteShort(arg.value)}`;
  if (kind === "culture") {
    try {
      if (Intl.getCanonicalLocales(arg.value).length === 0) throw new RangeError("empty");
    } catch {
      return `is not a culture name such as "en-US": ${quoteShort(arg.value)}`;
    }
  }
  if (kind === "format") {
    try {
      tokenizeFormat(arg.value);
    } catch (err) {
      return (err as Error).message;
    }
  }
  return undefined;
}

function quoteShort(s: string): string {
  return JSON.stringify(s.length > 60 ? s.slice(0, 60) + "…" : s);
}

/** Attributes a call reads by name rather than by reference (Replace's replacementAttributeName). */
export function namedAttributes(call: Extract<Expression, { kind: "call" }>): string[] {
  if (call.name !== "Replace") return [];
  const name = literalString(call.args[REPLACE.replacementAttributeName]);
  return name === undefined ? [] : [name];
}
