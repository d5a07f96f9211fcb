/**
 * $search for directory objects: `"displayName:ann" OR "mail:ann@"`. Each clause is a double-quoted
 * `property:value`; clauses combine with upper-case AND / OR (AND binds tighter) and parentheses.
 * displayName and description match by word prefix ("wa" matches "Adele Walters"); other searchable
 * properties match by whole-value prefix. The result is ANDed with $filter by the caller.
 */
import { badRequest, invalidCharacter, queryNotSupported, syntaxError, unknownProperty } from "./errors.ts";
import type { Obj } from "./filter-compile.ts";
import { propertyName, type ResourceSpec, type SearchMode } from "./resource-spec.ts";

export interface CompiledSearch {
  readonly text: string;
  readonly predicate: (obj: Obj) => boolean;
  /** The properties the search reads, in the order they appear. */
  readonly properties: readonly string[];
}

type SearchToken =
  | { readonly kind: "clause"; readonly body: string; readonly pos: number }
  | { readonly kind: "and" | "or" | "(" | ")" | "end"; readonly pos: number };

type Pred = (obj: Obj) => boolean;

const MAX_DEPTH = 64;

/**
 * Compiles a $search value for a resource.
 * @example compileSearch('"displayName:wa"', users).predicate({ displayName: "Adele Walters" }) === true
 */
export function compileSearch(text: string, spec: ResourceSpec): CompiledSearch {
  const tokens = tokenizeSearch(text);
  const properties: string[] = [];
  let index = 0;
  let depth = 0;
  const peek = (): SearchToken => tokens[index]!;
  const fail = (): never => {
    throw syntaxError(peek().pos, text);
  };

  const parseOr = (): Pred => {
    if (++depth > MAX_DEPTH) fail();
    let left = parseAnd();
    while (peek().kind === "or") {
      index++;
      const l = left;
      const r = parseAnd();
      left = (o) => l(o) || r(o);
    }
    depth--;
    return left;
  };
  const parseAnd = (): Pred => {
    let left = parsePrimary();
    while (peek().kind === "and") {
      index++;
      const l = left;
      const r = parsePrimary();
      left = (o) => l(o) && r(o);
    }
    return left;
  };
  const parsePrimary = (): Pred => {
    const token = peek();
    if (token.kind === "(") {
      index++;
      const inner = parseOr();
      if (peek().kind !== ")") fail();
      index++;
      return inner;
    }
    if (token.kind !== "clause") return fail();
    index++;
    const clause = compileClause(token.body, spec);
    properties.push(clause.property);
    return clause.predicate;
  };

  const predicate = parseOr();
  if (peek().kind !== "end") fail();
  return { text, predicate, properties };
}

function tokenizeSearch(text: string): SearchToken[] {
  const tokens: SearchToken[] = [];
  let pos = 0;
  while (pos < text.length) {
    const ch = text[pos]!;
    if (ch === " " || ch === "\t") {
      pos++;
    } else if (ch === '"') {
      const start = pos;
      let body = "";
      pos++;
      while (pos < text.length && text[pos] !== '"') {
        // A backslash escapes a double quote or a backslash inside a clause.
        if (text[pos] === "\\" && (text[pos + 1] === '"' || text[pos + 1] === "\\")) pos++;
        body += text[pos];
        pos++;
      }
      if (pos >= text.length)
        throw badRequest(`There is an unterminated string literal at position ${start} in '${text}'.`);
      pos++;
      tokens.push({ kind: "clause", body, pos: start });
    } else if (ch === "(" || ch === ")") {
      tokens.push({ kind: ch, pos });
      pos++;
    } else {
      const word = /^[A-Za-z0-9]+/.exec(text.slice(pos))?.[0];
      if (word === "AND" || word === "OR") {
        tokens.push({ kind: word === "AND" ? "and" : "or", pos });
        pos += word.length;
      } else if (word) {
        const after = pos + word.length;
        // A bare term (no quotes, no property) is not something the directory will search.
        if (after < text.length && !/[\s()"]/.test(text[after]!))
          throw invalidCharacter(text[after]!, after, text);
        throw queryNotSupported();
      } else {
        throw invalidCharacter(ch, pos, text);
      }
    }
  }
  tokens.push({ kind: "end", pos: text.length });
  return tokens;
}

function compileClause(body: string, spec: ResourceSpec): { property: string; predicate: Pred } {
  const colon = body.indexOf(":");
  if (colon <= 0) throw queryNotSupported();
  const written = body.slice(0, colon).trim();
  const value = body.slice(colon + 1);
  const property = propertyName(spec.properties, written);
  if (property === undefined) throw unknownProperty(written, spec.entityType);
  const prop = spec.properties[property]!;
  if (!prop.search || value.trim() === "") throw queryNotSupported();
  const match = matcher(prop.search, value);
  const predicate: Pred = prop.collection
    ? (obj) => {
        const items = obj[property];
        return Array.isArray(items) && items.some((item) => typeof item === "string" && match(item));
      }
    : (obj) => {
        const v = obj[property];
        return typeof v === "string" && match(v);
      };
  return { property, predicate };
}

function matcher(mode: SearchMode, value: string): (candidate: string) => boolean {
  if (mode === "prefix") {
    const prefix = value.toLowerCase();
    return (candidate) => candidate.toLowerCase().startsWith(prefix);
  }
  const wanted = words(value);
  if (wanted.length === 0) return () => false;
  return (candidate) => {
    const have = words(candidate);
    return wanted.every((w) => have.some((h) => h.startsWith(w)));
  };
}

/** Splits text into lower-case words at spaces, symbols and camelCase humps ("AdeleVance-HR" → adele, vance, hr). */
export function words(text: string): string[] {
  return text
    .replace(/(\p{Ll})(\p{Lu})/gu, "$1 $2")
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean);
}
