/**
 * Tokeniser for $filter text. Positions are 0-based offsets into the decoded text, as in the OData
 * parser messages Graph returns ("Syntax error at position 12 in '…'").
 */
import { invalidCharacter, unterminatedString } from "./errors.ts";

export type Token =
  | { readonly kind: "ident"; readonly text: string; readonly pos: number }
  | { readonly kind: "string"; readonly value: string; readonly pos: number }
  | { readonly kind: "number"; readonly value: number; readonly text: string; readonly pos: number }
  | { readonly kind: "guid"; readonly value: string; readonly pos: number }
  | { readonly kind: "datetime"; readonly value: number; readonly text: string; readonly pos: number }
  | { readonly kind: "punct"; readonly text: "(" | ")" | "," | ":" | "/"; readonly pos: number }
  | { readonly kind: "end"; readonly pos: number };

const GUID = /[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}(?![\w-])/y;
const DATETIME =
  /\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,7})?)?(?:Z|[+-]\d{2}:\d{2}))?(?![\w:.-])/y;
const NUMBER = /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?(?![\w.])/y;
const IDENT = /[A-Za-z_$][\w$]*/y;
const PUNCT = new Set(["(", ")", ",", ":", "/"]);

function matchAt(re: RegExp, text: string, pos: number): string | undefined {
  re.lastIndex = pos;
  return re.exec(text)?.[0];
}

/** Splits filter text into tokens; throws ODataError (BadRequest) on a character or string it cannot read. */
export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let pos = 0;
  while (pos < text.length) {
    const ch = text[pos]!;
    if (ch === " " || ch === "\t" || ch === "\n" || ch === "\r") {
      pos++;
      continue;
    }
    if (ch === "'") {
      const start = pos;
      let value = "";
      pos++;
      for (;;) {
        if (pos >= text.length) throw unterminatedString(start, text);
        const c = text[pos]!;
        if (c === "'") {
          // A doubled quote is an escaped quote ('O''Brien').
          if (text[pos + 1] === "'") {
            value += "'";
            pos += 2;
            continue;
          }
          pos++;
          break;
        }
        value += c;
        pos++;
      }
      tokens.push({ kind: "string", value, pos: start });
      continue;
    }
    if (PUNCT.has(ch)) {
      tokens.push({ kind: "punct", text: ch as "(" | ")" | "," | ":" | "/", pos });
      pos++;
      continue;
    }
    const guid = matchAt(GUID, text, pos);
    if (guid) {
      tokens.push({ kind: "guid", value: guid, pos });
      pos += guid.length;
      continue;
    }
    const dt = matchAt(DATETIME, text, pos);
    if (dt) {
      const value = Date.parse(dt.length === 10 ? `${dt}T00:00:00Z` : dt);
      if (Number.isNaN(value)) throw invalidCharacter(ch, pos, text);
      tokens.push({ kind: "datetime", value, text: dt, pos });
      pos += dt.length;
      continue;
    }
    const num = matchAt(NUMBER, text, pos);
    if (num) {
      tokens.push({ kind: "number", value: Number(num), text: num, pos });
      pos += num.length;
      continue;
    }
    const ident = matchAt(IDENT, text, pos);
    if (ident) {
      tokens.push({ kind: "ident", text: ident, pos });
      pos += ident.length;
      continue;
    }
    throw invalidCharacter(ch, pos, text);
  }
  tokens.push({ kind: "end", pos: text.length });
  return tokens;
}
