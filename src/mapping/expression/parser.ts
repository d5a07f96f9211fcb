/**
 * A hand-written recursive-descent parser for mapping expressions. It builds a tree and checks
 * every call against its function's arity and the constant arguments against their kinds, so a
 * mapping that parses can be evaluated without surprises. Every failure is MAPPING_EXPRESSION_INVALID
 * with the 1-based `line:column` of the problem.
 */

import { createError } from "../../errors.ts";
import type { Expression } from "./ast.ts";
import { checkConstant, FUNCTION_NAMES, FUNCTIONS } from "./functions.ts";

/** Longer expressions are refused: a mapping is a line of configuration, not a program. */
export const MAX_EXPRESSION_LENGTH = 10_000;
/** Deeper nesting is refused, which also keeps the recursion far from the stack limit. */
export const MAX_NESTING_DEPTH = 64;

/** 1-based `line:column` of a 0-based offset. */
export function lineColumn(text: string, offset: number): string {
  let line = 1;
  let column = 1;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text[i] === "\n") {
      line++;
      column = 1;
    } else {
      column++;
    }
  }
  return `${line}:${column}`;
}

const isDigit = (ch: string | undefined) => ch !== undefined && ch >= "0" && ch <= "9";
const isLetter = (ch: string | undefined) =>
  ch !== undefined && ((ch >= "a" && ch <= "z") || (ch >= "A" && ch <= "Z") || ch === "_");
const isSpace = (ch: string | undefined) => ch === " " || ch === "\t" || ch === "\n" || ch === "\r";
/** Characters of one segment of an attribute path: Graph names, extension_<app>_<name>, hyphens. */
const isNameChar = (ch: string | undefined) =>
  isLetter(ch) || isDigit(ch) || ch === "-" || ch === "$" || ch === "@";

function describe(ch: string | undefined): string {
  if (ch === undefined) return "the end of the expression";
  const code = ch.codePointAt(0)!;
  if (code < 0x20 || code === 0x7f) return `character U+${code.toString(16).toUpperCase().padStart(4, "0")}`;
  return ch === '"' ? `'"'` : `"${ch}"`;
}

class Parser {
  private pos = 0;
  private readonly text: string;
  constructor(text: string) {
    this.text = text;
  }

  fail(problem: string, at: number = this.pos): never {
    throw createError("MAPPING_EXPRESSION_INVALID", { position: lineColumn(this.text, at), problem });
  }

  parse(): Expression {
    if (this.text.length > MAX_EXPRESSION_LENGTH) {
      this.fail(
        `the expression is ${this.text.length} characters long; the limit is ${MAX_EXPRESSION_LENGTH}`,
        0,
      );
    }
    this.skipSpace();
    if (this.pos >= this.text.length)
      this.fail("the expression is empty; write a constant, an [attribute] or a function call");
    const expr = this.comparison(0);
    this.skipSpace();
    if (this.pos < this.text.length) {
      this.fail(`unexpected ${describe(this.text[this.pos])} after the end of the expression`);
    }
    return expr;
  }

  private skipSpace(): void {
    while (isSpace(this.text[this.pos])) this.pos++;
  }

  /** An operand, optionally `= operand`; comparisons don't chain. */
  private comparison(depth: number): Expression {
    const left = this.expression(depth);
    const at = this.pos;
    this.skipSpace();
    if (this.text[this.pos] !== "=") {
      this.pos = at;
      return left;
    }
    this.pos++;
    this.skipSpace();
    const right = this.expression(depth);
    return { kind: "equals", left, right, position: left.position };
  }

  private expression(depth: number): Expression {
    const ch = this.text[this.pos];
    const start = this.pos;
    if (ch === '"') return { kind: "string", value: this.string(), position: start };
    if (ch === "[") return { kind: "reference", path: this.reference(), position: start };
    if (isDigit(ch) || (ch === "-" && isDigit(this.text[this.pos + 1]))) return this.number();
    if (isLetter(ch)) return this.name(depth);
    return this.fail(
      `unexpected ${describe(ch)}; expected a "string", a number, an [attribute] or a function call`,
    );
  }

  private string(): string {
    const start = this.pos++;
    let value = "";
    for (;;) {
      const ch = this.text[this.pos];
      if (ch === undefined) this.fail("unterminated string: add the closing quote", start);
      if (ch === '"') {
        this.pos++;
        return value;
      }
      if (ch === "\\") {
        const next = this.text[this.pos + 1];
        if (next !== "\\" && next !== '"') {
          this.fail(
            `unknown escape \\${next ?? ""} in a string: only \\\\ and \\" are escapes (write \\\\ for a backslash)`,
          );
        }
        value += next;
        this.pos += 2;
      } else {
        value += ch;
        this.pos++;
      }
    }
  }

  private reference(): string {
    const start = this.pos++;
    const segments: string[] = [];
    for (;;) {
      const from = this.pos;
      while (isNameChar(this.text[this.pos])) this.pos++;
      if (this.pos === from) {
        if (this.text[this.pos] === undefined)
          this.fail("unterminated attribute reference: add the closing ]", start);
        this.fail(
          `unexpected ${describe(this.text[this.pos])} in an attribute name; names are letters, digits, _ and -, parts joined by "."`,
        );
      }
      segments.push(this.text.slice(from, this.pos));
      const ch = this.text[this.pos];
      if (ch === ".") {
        this.pos++;
      } else if (ch === "]") {
        this.pos++;
        return segments.join(".");
      } else if (ch === undefined) {
        this.fail("unterminated attribute reference: add the closing ]", start);
      } else {
        this.fail(
          `unexpected ${describe(ch)} in an attribute name; names are letters, digits, _ and -, parts joined by "."`,
        );
      }
    }
  }

  private number(): Expression {
    const start = this.pos;
    if (this.text[this.pos] === "-") this.pos++;
    while (isDigit(this.text[this.pos])) this.pos++;
    if (this.text[this.pos] === "." && isDigit(this.text[this.pos + 1])) {
      this.pos++;
      while (isDigit(this.text[this.pos])) this.pos++;
    }
    const e = this.text[this.pos];
    if (e === "e" || e === "E") {
      let j = this.pos + 1;
      if (this.text[j] === "+" || this.text[j] === "-") j++;
      if (isDigit(this.text[j])) {
        while (isDigit(this.text[j])) j++;
        this.pos = j;
      }
    }
    const value = Number(this.text.slice(start, this.pos));
    if (!Number.isFinite(value)) this.fail("number is out of range", start);
    return { kind: "number", value, position: start };
  }

  private name(depth: number): Expression {
    const start = this.pos;
    while (isLetter(this.text[this.pos]) || isDigit(this.text[this.pos])) this.pos++;
    const word = this.text.slice(start, this.pos);
    const lower = word.toLowerCase();
    const afterName = this.pos;
    this.skipSpace();
    if (this.text[this.pos] !== "(") {
      if (lower === "true" || lower === "false")
        return { kind: "boolean", value: lower === "true", position: start };
      if (lower === "null") return { kind: "null", position: start };
      if (FUNCTIONS.has(lower)) this.fail(`${word} is a function: write ${word}(…)`, afterName);
      this.fail(`unknown name ${word}; attributes are written in brackets, as [${word}]`, start);
    }
    const spec = FUNCTIONS.get(lower);
    if (!spec) this.fail(`unknown function ${word}; the functions are ${FUNCTION_NAMES.join(", ")}`, start);
    if (depth >= MAX_NESTING_DEPTH)
      this.fail(`functions are nested more than ${MAX_NESTING_DEPTH} deep`, start);
    this.pos++;
    const args = this.args(depth + 1, spec.name);
    if (args.length < spec.min || args.length > spec.max) {
      this.fail(`${spec.name} takes ${spec.arity} arguments, not ${args.length}`, start);
    }
    const kinds = spec.paramsFor?.(args.length) ?? spec.params;
    args.forEach((arg, i) => {
      const n = i + 1;
      if (arg.kind === "omitted") {
        if (!spec.optional?.includes(i))
          this.fail(`argument ${n} of ${spec.name} is required but empty`, arg.position);
        return;
      }
      const kind = kinds[Math.min(i, kinds.length - 1)]!;
      const problem = checkConstant(kind, arg);
      if (problem) this.fail(`argument ${n} of ${spec.name} ${problem}`, arg.position);
      if (arg.kind === "call" && arg.name === "SelectUniqueValue") {
        this.fail(
          "SelectUniqueValue must be the whole expression, not inside another function",
          arg.position,
        );
      }
    });
    const problem = spec.check?.(args);
    if (problem) this.fail(problem, start);
    return { kind: "call", name: spec.name, args, position: start };
  }

  /** Arguments after "(" up to and including ")"; an empty slot between commas is an omitted argument. */
  private args(depth: number, name: string): Expression[] {
    const args: Expression[] = [];
    this.skipSpace();
    if (this.text[this.pos] === ")") {
      this.pos++;
      return args;
    }
    for (;;) {
      this.skipSpace();
      const ch = this.text[this.pos];
      if (ch === "," || ch === ")") args.push({ kind: "omitted", position: this.pos });
      else args.push(this.comparison(depth));
      this.skipSpace();
      const next = this.text[this.pos];
      if (next === ",") {
        this.pos++;
      } else if (next === ")") {
        this.pos++;
        return args;
      } else if (next === undefined) {
        this.fail(`unclosed call to ${name}: add the closing )`);
      } else {
        this.fail(`unexpected ${describe(next)} in the arguments of ${name}; expected "," or ")"`);
      }
    }
  }
}

/** Parses expression text into a tree; throws MAPPING_EXPRESSION_INVALID saying where and why. */
export function parseExpression(text: string): Expression {
  return new Parser(text).parse();
}
