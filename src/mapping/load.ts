/**
 * Reading a mapping from YAML or JSON (JSON is parsed as YAML, so both get line numbers). Every problem
 * becomes MAPPING_INVALID naming `file:line field`, found from the parser's source ranges.
 */
import { readFile } from "node:fs/promises";
import { basename } from "node:path";
import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument, visit } from "yaml";
import type { z } from "zod";
import { createError } from "../errors.ts";
import { type Mapping, mappingSchema } from "./definition.ts";

export interface LoadOptions {
  /** Where `${NAME}` is looked up; defaults to process.env. */
  env?: Readonly<Record<string, string | undefined>>;
}

type Path = readonly PropertyKey[];

const ENV_REFERENCE = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** Reads and validates the mapping file at `file`. */
export async function loadMapping(file: string, options: LoadOptions = {}): Promise<Mapping> {
  return parseMapping(await readFile(file, "utf8"), basename(file), options);
}

/**
 * Validates mapping text; `sourceName` is how errors name the file. `schema` is mappingSchema extended
 * with keys of the caller's own (the service's schedule), checked and named the same way.
 */
export function parseMapping<T = Mapping>(
  text: string,
  sourceName: string,
  options: LoadOptions & { schema?: z.ZodType<T> } = {},
): T {
  const env = options.env ?? process.env;
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const at = (offset: number | undefined, field: string) =>
    `${sourceName}${offset === undefined ? "" : `:${lines.linePos(offset).line}`}${field ? ` ${field}` : ""}`;

  const [syntax] = doc.errors;
  if (syntax) {
    const problem = syntax.message.split("\n")[0]!;
    throw createError("MAPPING_INVALID", { source: at(syntax.pos[0], ""), problem });
  }

  // Substituted in the parsed scalars, not the text, so a secret with quotes or colons cannot change
  // the document's structure, and the error for a missing variable can name its line.
  visit(doc, {
    Scalar(_key, node, ancestors) {
      if (typeof node.value !== "string" || !node.value.includes("${")) return;
      // The HTTP target's request templates use `${attribute}` for mapped values; its secrets go in `auth`.
      const [top, section, kind] = pathOf(ancestors, node);
      if (top === "target" && section === "requests" && kind !== undefined) return;
      node.value = node.value.replace(ENV_REFERENCE, (whole, name: string | undefined) => {
        if (name === undefined) return "${";
        const value = env[name];
        if (value === undefined || value === "") {
          throw createError("MAPPING_INVALID", {
            source: at(node.range?.[0], fieldOf(pathOf(ancestors, node))),
            problem: `environment variable ${name} is not set (referenced as ${whole})`,
          });
        }
        return value;
      });
    },
  });

  const result = (options.schema ?? (mappingSchema as unknown as z.ZodType<T>)).safeParse(doc.toJS());
  if (result.success) return result.data;
  const issue = firstIssue(result.error.issues);
  const path = issuePath(issue);
  const present = path.length === 0 ? doc.contents !== null : doc.hasIn(path);
  throw createError("MAPPING_INVALID", {
    source: at(offsetOf(doc.contents, path), fieldOf(path) || "document"),
    problem: problemOf(issue, present),
  });
}

/** Zod reports unknown keys on their parent; the key itself is what the user must fix. */
function issuePath(issue: z.core.$ZodIssue): Path {
  if (issue.code === "unrecognized_keys") return [...issue.path, issue.keys[0]!];
  return issue.path;
}

/** The innermost issue of a union, so the message speaks about the branch the user meant. */
function firstIssue(issues: readonly z.core.$ZodIssue[]): z.core.$ZodIssue {
  const issue = issues[0]!;
  if (issue.code === "invalid_union" && issue.errors.length > 0) {
    const deepest = issue.errors
      .map((branch) => branch[0]!)
      .sort((a, b) => b.path.length - a.path.length)[0]!;
    return { ...deepest, path: [...issue.path, ...deepest.path] } as z.core.$ZodIssue;
  }
  return issue;
}

function problemOf(issue: z.core.$ZodIssue, present: boolean): string {
  switch (issue.code) {
    case "unrecognized_keys":
      return `unknown key ${issue.keys.join(", ")}`;
    case "invalid_type":
      return present ? `must be ${article(issue.expected)}` : `is required (${issue.expected})`;
    case "invalid_value":
      return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
    default:
      return issue.message;
  }
}

function article(type: string): string {
  return `${/^[aeiou]/.test(type) ? "an" : "a"} ${type}`;
}

function fieldOf(path: Path): string {
  return path.map(String).join(".");
}

/** Start offset of the deepest node along `path` (the key when the path ends at a map entry). */
function offsetOf(root: Node | null, path: Path): number | undefined {
  let node: unknown = root;
  let offset = root?.range?.[0];
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find(
        (item) => isScalar(item.key) && String(item.key.value) === String(segment),
      );
      if (!pair) break;
      offset = (pair.key as Node).range?.[0] ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === "number" && node.items[segment]) {
      node = node.items[segment];
      offset = (node as Node).range?.[0] ?? offset;
    } else {
      break;
    }
  }
  return offset;
}

/** The key path of `node` from the visitor's ancestors (document, maps, sequences, pairs). */
function pathOf(ancestors: readonly unknown[], node: unknown): PropertyKey[] {
  const path: PropertyKey[] = [];
  const chain = [...ancestors, node];
  for (let i = 1; i < chain.length; i++) {
    const parent = chain[i - 1];
    const child = chain[i];
    if (isSeq(parent)) path.push(parent.items.indexOf(child as never));
    else if (
      parent &&
      typeof parent === "object" &&
      "key" in parent &&
      isScalar(parent.key) &&
      child !== parent.key
    )
      path.push(String(parent.key.value));
  }
  return path;
}
