/**
 * Binds a parsed $filter to a resource's properties and compiles it, once per request, into a plain
 * predicate over the emulator's stored objects (which carry Graph property names). It also records
 * every (property, operator) use so checkQueryMode can apply the default-vs-advanced rules.
 */
import { complexLambda, invalidFilter, unknownProperty } from "./errors.ts";
import { type BoolNode, type CompareOp, type Literal, parseFilter, type ValueNode } from "./filter-parser.ts";
import {
  type EdmType,
  type FilterOp,
  type PropertySpec,
  type ResourceSpec,
  resolvePath,
} from "./resource-spec.ts";

export type Obj = Readonly<Record<string, unknown>>;

export interface FilterUse {
  /** Property path as written, e.g. "mail" or "onPremisesExtensionAttributes/extensionAttribute1". */
  readonly path: string;
  readonly op: FilterOp;
}

export interface CompiledFilter {
  readonly text: string;
  readonly predicate: (obj: Obj) => boolean;
  readonly uses: readonly FilterUse[];
  /** Collections whose lambda body is more than one comparison (advanced queries only). */
  readonly complexLambdas: readonly string[];
}

/**
 * Parses, binds and compiles $filter text for a resource.
 * @example compileFilter("startsWith(displayName,'ann')", users).predicate({ displayName: "Ann Lee" }) === true
 */
export function compileFilter(text: string, spec: ResourceSpec): CompiledFilter {
  const compiler = new FilterCompiler(spec);
  const pred = compiler.bool(parseFilter(text), undefined);
  return {
    text,
    predicate: (obj) => pred(obj, undefined),
    uses: compiler.uses,
    complexLambdas: compiler.complexLambdas,
  };
}

type Pred = (root: Obj, element: unknown) => boolean;
type Getter = (root: Obj, element: unknown) => unknown;

interface Scope {
  readonly variable: string;
  readonly collectionPath: string;
  readonly element: PropertySpec;
}

interface BoundProperty {
  readonly type: EdmType;
  readonly collection: boolean;
  readonly properties: PropertySpec["properties"];
  readonly get: Getter;
  readonly usePath: string;
}

const KIND: Record<CompareOp, string> = {
  eq: "Equal",
  ne: "NotEqual",
  gt: "GreaterThan",
  ge: "GreaterThanOrEqual",
  lt: "LessThan",
  le: "LessThanOrEqual",
};
const MIRROR: Record<CompareOp, CompareOp> = { eq: "eq", ne: "ne", gt: "lt", ge: "le", lt: "gt", le: "ge" };
const LITERAL_EDM: Record<Literal["type"], string> = {
  string: "Edm.String",
  number: "Edm.Int32",
  boolean: "Edm.Boolean",
  null: "null",
  guid: "Edm.Guid",
  datetime: "Edm.DateTimeOffset",
};
const ACCEPTS: Record<EdmType, ReadonlySet<Literal["type"]>> = {
  String: new Set(["string"]),
  // Graph wants GUID literals unquoted: `x/skuId eq 'c7df…'` is an incompatible-types error.
  Guid: new Set(["guid"]),
  Boolean: new Set(["boolean"]),
  Int32: new Set(["number"]),
  Int64: new Set(["number"]),
  DateTimeOffset: new Set(["datetime"]),
  Complex: new Set(),
};

function getterFor(segments: readonly string[], fromElement: boolean): Getter {
  const [a, b] = segments;
  if (segments.length === 0) return (_root, element) => element;
  if (segments.length === 1) {
    return fromElement ? (_root, element) => (element as Obj | null | undefined)?.[a!] : (root) => root[a!];
  }
  if (segments.length === 2 && !fromElement) {
    return (root) => (root[a!] as Obj | null | undefined)?.[b!];
  }
  return (root, element) => {
    let value: unknown = fromElement ? element : root;
    for (const segment of segments) {
      if (value === null || typeof value !== "object") return undefined;
      value = (value as Obj)[segment];
    }
    return value;
  };
}

/** Strings in directory filters compare case-insensitively (e.g. `mail eq 'ANN@contoso.com'` matches). */
const fold = (value: string): string => value.toLowerCase();

function compareValues(op: CompareOp, cmp: number): boolean {
  switch (op) {
    case "eq":
      return cmp === 0;
    case "ne":
      return cmp !== 0;
    case "gt":
      return cmp > 0;
    case "ge":
      return cmp >= 0;
    case "lt":
      return cmp < 0;
    case "le":
      return cmp <= 0;
  }
}

class FilterCompiler {
  readonly uses: FilterUse[] = [];
  readonly complexLambdas: string[] = [];
  private readonly spec: ResourceSpec;

  constructor(spec: ResourceSpec) {
    this.spec = spec;
  }

  bool(node: BoolNode, scope: Scope | undefined): Pred {
    switch (node.kind) {
      case "and": {
        const left = this.bool(node.left, scope);
        const right = this.bool(node.right, scope);
        return (r, e) => left(r, e) && right(r, e);
      }
      case "or": {
        const left = this.bool(node.left, scope);
        const right = this.bool(node.right, scope);
        return (r, e) => left(r, e) || right(r, e);
      }
      case "not": {
        const first = this.uses.length;
        const operand = this.bool(node.operand, scope);
        const paths = new Set(this.uses.slice(first).map((use) => use.path));
        for (const path of paths) this.uses.push({ path, op: "not" });
        return (r, e) => !operand(r, e);
      }
      case "compare":
        return this.compare(node.op, node.left, node.right, scope);
      case "in":
        return this.in(node.left, node.values, scope);
      case "call":
        return this.call(node.fn, node.args, scope);
      case "lambda":
        return this.lambda(node, scope);
      case "boolPath": {
        const prop = this.property(node.segments, scope);
        if (prop.type !== "Boolean" || prop.collection) {
          throw invalidFilter(`The expression '${node.segments.join("/")}' is not a boolean expression.`);
        }
        this.use(prop, "eq");
        const get = prop.get;
        return (r, e) => get(r, e) === true;
      }
    }
  }

  private use(prop: BoundProperty, op: FilterOp): void {
    this.uses.push({ path: prop.usePath, op });
  }

  private property(segments: readonly string[], scope: Scope | undefined): BoundProperty {
    if (scope && segments[0] === scope.variable) {
      const rest = segments.slice(1);
      if (rest.length === 0) {
        const { type, properties } = scope.element;
        return {
          type,
          properties,
          collection: false,
          get: getterFor([], true),
          usePath: scope.collectionPath,
        };
      }
      const { spec, names } = this.resolve(scope.element.properties ?? {}, rest);
      return {
        type: spec.type,
        collection: spec.collection,
        properties: spec.properties,
        get: getterFor(names, true),
        usePath: scope.collectionPath,
      };
    }
    if (segments.length > 1 && segments[segments.length - 1] === "$count")
      return this.count(segments.slice(0, -1));
    const { spec, names } = this.resolve(this.spec.properties, segments);
    return {
      type: spec.type,
      collection: spec.collection,
      properties: spec.properties,
      get: getterFor(names, false),
      usePath: names.join("/"),
    };
  }

  /** Canonical names for a path written in any letter case; unknown segments are named in the error. */
  private resolve(
    table: Readonly<Record<string, PropertySpec>>,
    segments: readonly string[],
  ): { spec: PropertySpec; names: readonly string[] } {
    const resolved = resolvePath(table, segments);
    if ("missing" in resolved) throw unknownProperty(resolved.missing, this.spec.entityType);
    return resolved;
  }

  /** `assignedLicenses/$count`: the number of items, compared like an Int32 property. */
  private count(segments: readonly string[]): BoundProperty {
    const { spec, names } = this.resolve(this.spec.properties, segments);
    const path = names.join("/");
    if (!spec.collection) throw invalidFilter(`$count can only be applied to a collection, not '${path}'.`);
    this.uses.push({ path, op: "count" });
    const items = getterFor(names, false);
    return {
      type: "Int32",
      collection: false,
      properties: undefined,
      get: (r, e) => {
        const value = items(r, e);
        return Array.isArray(value) ? value.length : 0;
      },
      usePath: `${path}/$count`,
    };
  }

  private value(node: ValueNode, scope: Scope | undefined): BoundProperty | Literal | BoolNode {
    if (node.kind === "literal") return node.literal;
    if (node.kind === "path") return this.property(node.segments, scope);
    return node;
  }

  private compare(op: CompareOp, leftNode: ValueNode, rightNode: ValueNode, scope: Scope | undefined): Pred {
    let left = this.value(leftNode, scope);
    let right = this.value(rightNode, scope);
    let effective = op;
    if (isLiteral(left) && !isLiteral(right)) {
      [left, right] = [right, left];
      effective = MIRROR[op];
    }
    if (isBoolNode(left)) return this.compareBool(effective, left, right, scope);
    if (!isProperty(left) || !isLiteral(right)) {
      throw invalidFilter("Only comparisons between a property and a literal value are supported.");
    }
    if (left.collection) {
      throw invalidFilter(
        `The property '${left.usePath}' is a collection; use ${left.usePath}/any(x:x ${effective} …) instead.`,
      );
    }
    const get = left.get;
    if (right.type === "null") {
      if (effective !== "eq" && effective !== "ne") throw incompatible(left.type, right, effective);
      this.use(left, "null");
      if (effective === "ne") this.use(left, "ne");
      return effective === "eq" ? (r, e) => get(r, e) == null : (r, e) => get(r, e) != null;
    }
    if (!ACCEPTS[left.type].has(right.type)) throw incompatible(left.type, right, effective);
    this.use(left, effective);
    return compilePrimitiveCompare(effective, get, right);
  }

  private compareBool(
    op: CompareOp,
    left: BoolNode,
    right: BoundProperty | Literal | BoolNode,
    scope: Scope | undefined,
  ): Pred {
    if (!isLiteral(right) || right.type !== "boolean" || (op !== "eq" && op !== "ne")) {
      throw invalidFilter("A boolean expression can only be compared with true or false.");
    }
    const inner = this.bool(left, scope);
    const wanted = right.value === (op === "eq");
    return wanted ? inner : (r, e) => !inner(r, e);
  }

  private in(leftNode: ValueNode, values: readonly Literal[], scope: Scope | undefined): Pred {
    const left = this.value(leftNode, scope);
    if (!isProperty(left) || left.collection) {
      throw invalidFilter("The left operand of 'in' must be a single-valued property.");
    }
    for (const literal of values) {
      if (!ACCEPTS[left.type].has(literal.type)) throw incompatible(left.type, literal, "eq");
    }
    this.use(left, "in");
    const get = left.get;
    if (left.type === "String" || left.type === "Guid") {
      const set = new Set(values.map((literal) => fold(String(literal.value))));
      return (r, e) => {
        const v = get(r, e);
        return typeof v === "string" && set.has(fold(v));
      };
    }
    if (left.type === "DateTimeOffset") {
      const set = new Set(values.map((literal) => literal.value));
      return (r, e) => {
        const v = get(r, e);
        return typeof v === "string" && set.has(Date.parse(v));
      };
    }
    const set = new Set<unknown>(values.map((literal) => literal.value));
    return (r, e) => set.has(get(r, e));
  }

  private call(
    fn: "startsWith" | "endsWith" | "contains",
    args: readonly [ValueNode, ValueNode],
    scope: Scope | undefined,
  ): Pred {
    const target = this.value(args[0], scope);
    const needle = this.value(args[1], scope);
    if (!isProperty(target) || target.collection || (target.type !== "String" && target.type !== "Guid")) {
      throw invalidFilter(`The first argument of ${fn} must be a single-valued string property.`);
    }
    if (!isLiteral(needle) || needle.type !== "string") {
      throw invalidFilter(`The second argument of ${fn} must be a string literal.`);
    }
    this.use(target, fn);
    const get = target.get;
    const lit = fold(needle.value);
    const n = lit.length;
    // Lower-casing never shortens a string, so the first n characters decide a prefix (and the last n
    // a suffix); folding only those keeps a 100k-object scan from copying every whole value.
    const test =
      fn === "startsWith"
        ? (v: string) => fold(v.slice(0, n)).startsWith(lit)
        : fn === "endsWith"
          ? (v: string) => fold(v).endsWith(lit)
          : (v: string) => fold(v).includes(lit);
    return (r, e) => {
      const v = get(r, e);
      return typeof v === "string" && test(v);
    };
  }

  private lambda(node: Extract<BoolNode, { kind: "lambda" }>, scope: Scope | undefined): Pred {
    if (scope) {
      // Graph answers nested lambdas (x/a/any(...)) the same way as multi-clause ones.
      throw complexLambda(scope.collectionPath);
    }
    const { spec, names } = this.resolve(this.spec.properties, node.collection);
    const path = names.join("/");
    if (!spec.collection) {
      throw invalidFilter(
        `The ${node.quantifier} operator can only be applied to a collection, not '${path}'.`,
      );
    }
    const get = getterFor(names, false);
    if (!node.body || !node.variable) {
      this.uses.push({ path, op: "eq" });
      if (node.quantifier === "all") return () => true;
      return (r) => {
        const items = get(r, undefined);
        return Array.isArray(items) && items.length > 0;
      };
    }
    if (node.body.kind !== "compare" && node.body.kind !== "call" && node.body.kind !== "in") {
      this.complexLambdas.push(path);
    }
    const element: PropertySpec = { ...spec, collection: false };
    const body = this.bool(node.body, { variable: node.variable, collectionPath: path, element });
    if (node.quantifier === "any") {
      return (r) => {
        const items = get(r, undefined);
        if (!Array.isArray(items)) return false;
        for (const item of items) if (body(r, item)) return true;
        return false;
      };
    }
    return (r) => {
      const items = get(r, undefined);
      if (!Array.isArray(items)) return true;
      for (const item of items) if (!body(r, item)) return false;
      return true;
    };
  }
}

function compilePrimitiveCompare(op: CompareOp, get: Getter, literal: Literal): Pred {
  if (literal.type === "string" || literal.type === "guid") {
    const lit = fold(literal.value);
    // Lower-casing never shortens a string: a longer value cannot fold to the literal.
    const equal = (v: unknown): boolean => typeof v === "string" && v.length <= lit.length && fold(v) === lit;
    if (op === "eq") return (r, e) => equal(get(r, e));
    if (op === "ne") return (r, e) => !equal(get(r, e));
    return (r, e) => {
      const v = get(r, e);
      if (typeof v !== "string") return false;
      const folded = fold(v);
      return compareValues(op, folded < lit ? -1 : folded > lit ? 1 : 0);
    };
  }
  if (literal.type === "datetime") {
    const at = literal.value;
    const seconds = new Date(at).toISOString().slice(0, 19);
    return (r, e) => {
      const v = get(r, e);
      if (typeof v !== "string") return op === "ne";
      return compareValues(op, compareInstant(v, seconds, at));
    };
  }
  const lit = literal.value as number | boolean;
  if (op === "eq") return (r, e) => get(r, e) === lit;
  if (op === "ne") return (r, e) => get(r, e) !== lit;
  return (r, e) => {
    const v = get(r, e);
    return typeof v === "number" && typeof lit === "number" && compareValues(op, v - lit);
  };
}

const UTC_SECONDS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z$/;

/**
 * Orders a stored timestamp against a literal instant. Stored values are UTC ISO strings, so when the
 * seconds differ the text decides, without parsing (a date range over 100k users stays cheap).
 */
function compareInstant(value: string, literalSeconds: string, literalMs: number): number {
  if (UTC_SECONDS.test(value) && !value.startsWith(literalSeconds)) return value < literalSeconds ? -1 : 1;
  const t = Date.parse(value);
  return Number.isNaN(t) ? Number.NaN : t - literalMs;
}

function incompatible(type: EdmType, literal: Literal, op: CompareOp) {
  return invalidFilter(
    "A binary operator with incompatible types was detected. " +
      `Found operand types 'Edm.${type}' and '${LITERAL_EDM[literal.type]}' for operator kind '${KIND[op]}'.`,
  );
}

function isLiteral(value: BoundProperty | Literal | BoolNode): value is Literal {
  return "type" in value && !("get" in value);
}

function isProperty(value: BoundProperty | Literal | BoolNode): value is BoundProperty {
  return "get" in value;
}

function isBoolNode(value: BoundProperty | Literal | BoolNode): value is BoolNode {
  return "kind" in value;
}
