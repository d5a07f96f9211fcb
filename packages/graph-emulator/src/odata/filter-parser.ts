/**
 * $filter parser: tokens → syntax tree, with OData precedence (or < and < not < comparison).
 * It knows nothing of resources; filter-compile.ts binds the tree to a ResourceSpec.
 */
import { syntaxError } from "./errors.ts";
import { type Token, tokenize } from "./filter-lexer.ts";

export type Literal =
  | { readonly type: "string"; readonly value: string }
  | { readonly type: "number"; readonly value: number }
  | { readonly type: "boolean"; readonly value: boolean }
  | { readonly type: "null"; readonly value: null }
  | { readonly type: "guid"; readonly value: string }
  | { readonly type: "datetime"; readonly value: number };

export type CompareOp = "eq" | "ne" | "gt" | "ge" | "lt" | "le";
export type FunctionName = "startsWith" | "endsWith" | "contains";

export type ValueNode =
  | { readonly kind: "path"; readonly segments: readonly string[]; readonly pos: number }
  | { readonly kind: "literal"; readonly literal: Literal; readonly pos: number }
  | BoolNode;

export type BoolNode =
  | { readonly kind: "and" | "or"; readonly left: BoolNode; readonly right: BoolNode; readonly pos: number }
  | { readonly kind: "not"; readonly operand: BoolNode; readonly pos: number }
  | {
      readonly kind: "compare";
      readonly op: CompareOp;
      readonly left: ValueNode;
      readonly right: ValueNode;
      readonly pos: number;
    }
  | {
      readonly kind: "in";
      readonly left: ValueNode;
      readonly values: readonly Literal[];
      readonly pos: number;
    }
  | {
      readonly kind: "call";
      readonly fn: FunctionName;
      readonly args: readonly [ValueNode, ValueNode];
      readonly pos: number;
    }
  | {
      readonly kind: "lambda";
      readonly quantifier: "any" | "all";
      readonly collection: readonly string[];
      readonly variable: string | undefined;
      readonly body: BoolNode | undefined;
      readonly pos: number;
    }
  | { readonly kind: "boolPath"; readonly segments: readonly string[]; readonly pos: number };

const COMPARE_OPS = new Set<string>(["eq", "ne", "gt", "ge", "lt", "le"]);
const FUNCTIONS: Record<string, FunctionName> = {
  startswith: "startsWith",
  endswith: "endsWith",
  contains: "contains",
};
// Deeper nesting than any real filter needs; keeps hostile input from exhausting the stack.
const MAX_DEPTH = 64;

/** Parses $filter text into a tree; throws ODataError (BadRequest) on a syntax error. */
export function parseFilter(text: string): BoolNode {
  return new FilterParser(text).parse();
}

class FilterParser {
  private readonly text: string;
  private readonly tokens: Token[];
  private index = 0;
  private depth = 0;

  constructor(text: string) {
    this.text = text;
    this.tokens = tokenize(text);
  }

  parse(): BoolNode {
    const node = this.parseOr();
    if (this.peek().kind !== "end") this.fail();
    return node;
  }

  private peek(offset = 0): Token {
    return this.tokens[Math.min(this.index + offset, this.tokens.length - 1)]!;
  }

  private next(): Token {
    const token = this.peek();
    if (token.kind !== "end") this.index++;
    return token;
  }

  private fail(token: Token = this.peek()): never {
    throw syntaxError(token.pos, this.text);
  }

  private isKeyword(word: string, offset = 0): boolean {
    const token = this.peek(offset);
    return token.kind === "ident" && token.text.toLowerCase() === word;
  }

  private isPunct(ch: string, offset = 0): boolean {
    const token = this.peek(offset);
    return token.kind === "punct" && token.text === ch;
  }

  private expectPunct(ch: string): void {
    if (!this.isPunct(ch)) this.fail();
    this.index++;
  }

  private enter(): void {
    if (++this.depth > MAX_DEPTH) this.fail();
  }

  private parseOr(): BoolNode {
    this.enter();
    let left = this.parseAnd();
    while (this.isKeyword("or")) {
      const pos = this.next().pos;
      left = { kind: "or", left, right: this.parseAnd(), pos };
    }
    this.depth--;
    return left;
  }

  private parseAnd(): BoolNode {
    let left = this.parseNot();
    while (this.isKeyword("and")) {
      const pos = this.next().pos;
      left = { kind: "and", left, right: this.parseNot(), pos };
    }
    return left;
  }

  private parseNot(): BoolNode {
    if (this.isKeyword("not") && !this.isPunct("/", 1)) {
      const pos = this.next().pos;
      this.enter();
      const operand = this.parseNot();
      this.depth--;
      return { kind: "not", operand, pos };
    }
    return this.parseComparison();
  }

  private parseComparison(): BoolNode {
    const start = this.peek();
    if (this.isPunct("(")) {
      this.index++;
      const inner = this.parseOr();
      this.expectPunct(")");
      return this.parseComparisonTail(inner, start.pos);
    }
    return this.parseComparisonTail(this.parseValue(), start.pos);
  }

  private parseComparisonTail(left: ValueNode, pos: number): BoolNode {
    const token = this.peek();
    if (token.kind === "ident") {
      const word = token.text.toLowerCase();
      if (COMPARE_OPS.has(word)) {
        this.index++;
        return { kind: "compare", op: word as CompareOp, left, right: this.parseValue(), pos: token.pos };
      }
      if (word === "in") {
        this.index++;
        return { kind: "in", left, values: this.parseLiteralList(), pos: token.pos };
      }
    }
    if (left.kind === "path") return { kind: "boolPath", segments: left.segments, pos };
    if (left.kind === "literal") this.fail(token);
    return left;
  }

  private parseLiteralList(): Literal[] {
    this.expectPunct("(");
    const values: Literal[] = [];
    for (;;) {
      const token = this.next();
      const literal = this.literalOf(token);
      if (!literal) this.fail(token);
      values.push(literal);
      if (this.isPunct(",")) {
        this.index++;
        continue;
      }
      this.expectPunct(")");
      return values;
    }
  }

  private literalOf(token: Token): Literal | undefined {
    switch (token.kind) {
      case "string":
        return { type: "string", value: token.value };
      case "number":
        return { type: "number", value: token.value };
      case "guid":
        return { type: "guid", value: token.value };
      case "datetime":
        return { type: "datetime", value: token.value };
      case "ident": {
        const word = token.text.toLowerCase();
        if (word === "true" || word === "false") return { type: "boolean", value: word === "true" };
        if (word === "null") return { type: "null", value: null };
        return undefined;
      }
      default:
        return undefined;
    }
  }

  private parseValue(): ValueNode {
    const token = this.peek();
    const literal = this.literalOf(token);
    if (literal) {
      this.index++;
      return { kind: "literal", literal, pos: token.pos };
    }
    if (token.kind !== "ident") this.fail(token);
    const fn = FUNCTIONS[token.text.toLowerCase()];
    if (fn && this.isPunct("(", 1)) return this.parseCall(fn);
    return this.parsePath();
  }

  private parseCall(fn: FunctionName): BoolNode {
    const pos = this.next().pos;
    this.enter();
    this.expectPunct("(");
    const first = this.parseValue();
    this.expectPunct(",");
    const second = this.parseValue();
    this.expectPunct(")");
    this.depth--;
    return { kind: "call", fn, args: [first, second], pos };
  }

  private parsePath(): ValueNode {
    const first = this.next();
    if (first.kind !== "ident") this.fail(first);
    const segments = [first.text];
    while (this.isPunct("/")) {
      this.index++;
      const segment = this.next();
      if (segment.kind !== "ident") this.fail(segment);
      const word = segment.text.toLowerCase();
      if ((word === "any" || word === "all") && this.isPunct("(")) {
        return this.parseLambda(word, segments, segment.pos);
      }
      segments.push(segment.text);
    }
    return { kind: "path", segments, pos: first.pos };
  }

  private parseLambda(quantifier: "any" | "all", collection: string[], pos: number): BoolNode {
    this.expectPunct("(");
    if (this.isPunct(")")) {
      this.index++;
      return { kind: "lambda", quantifier, collection, variable: undefined, body: undefined, pos };
    }
    const variable = this.next();
    if (variable.kind !== "ident") this.fail(variable);
    this.expectPunct(":");
    const body = this.parseOr();
    this.expectPunct(")");
    return { kind: "lambda", quantifier, collection, variable: variable.text, body, pos };
  }
}
