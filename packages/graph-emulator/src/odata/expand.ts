/**
 * $expand of one directory relationship, optionally with a nested $select (and $levels for manager).
 * Graph expands at most one relationship per request and cuts the expanded list at 20 items; the cut
 * is the route's job (the `expandLimit` knob), this only parses.
 */
import {
  badRequest,
  optionNotAllowed,
  syntaxError,
  tooManyExpands,
  unknownSelectProperty,
} from "./errors.ts";
import type { ResourceSpec } from "./resource-spec.ts";

export interface ExpandOption {
  readonly property: string;
  /** Nested $select, in the client's order. */
  readonly select?: readonly string[];
  /** Nested $levels (manager chains): a positive number or "max". */
  readonly levels?: number | "max";
}

/**
 * @example parseExpand("members($select=id,displayName)", groups) → { property: "members", select: ["id", "displayName"] }
 */
export function parseExpand(raw: string, spec: ResourceSpec): ExpandOption {
  const items = splitTopLevel(raw, ",");
  if (items === undefined) throw syntaxError(raw.length, raw);
  if (items.length > 1) throw tooManyExpands();
  const item = items[0]!.trim();
  const open = item.indexOf("(");
  const written = (open < 0 ? item : item.slice(0, open)).trim();
  const property = [...spec.expandable].find((name) => name.toLowerCase() === written.toLowerCase());
  if (property === undefined) throw unknownSelectProperty(written, spec.entityType);
  if (open < 0) return { property };
  if (!item.endsWith(")")) throw syntaxError(raw.length, raw);
  const inner = splitTopLevel(item.slice(open + 1, -1), ";") ?? [];
  let select: string[] | undefined;
  let levels: number | "max" | undefined;
  for (const option of inner) {
    const eq = option.indexOf("=");
    const name = option
      .slice(0, eq < 0 ? option.length : eq)
      .trim()
      .toLowerCase();
    const value = eq < 0 ? "" : option.slice(eq + 1).trim();
    if (name === "$select") {
      select = value.split(",").map((s) => s.trim());
      if (select.some((s) => s === "")) throw syntaxError(raw.length, raw);
    } else if (name === "$levels") {
      if (value === "max") levels = "max";
      else if (/^[1-9]\d*$/.test(value)) levels = Number(value);
      else throw badRequest(`Invalid value '${value}' for $levels query option found.`);
    } else {
      throw optionNotAllowed(name.replace(/^\$/, "").replace(/^./, (c) => c.toUpperCase()));
    }
  }
  return { property, ...(select ? { select } : {}), ...(levels !== undefined ? { levels } : {}) };
}

/** Splits on a separator outside parentheses; undefined when the parentheses do not balance. */
function splitTopLevel(text: string, separator: string): string[] | undefined {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === "(") depth++;
    else if (ch === ")" && --depth < 0) return undefined;
    else if (ch === separator && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  if (depth !== 0) return undefined;
  parts.push(text.slice(start));
  return parts;
}
