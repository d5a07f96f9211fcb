/**
 * `entra-connector resources --kind user [--filter department=Sales] [--filter ann] [--limit n]
 * [--deleted] [--json]`: synced objects from the store. `name=value` filters compare a property (one
 * no stored object of the kind has is refused); any other filter text matches the display name,
 * principal name or id.
 */
import type { Command } from "commander";
import { createError, EXIT, type ResourceQuery } from "../../index.ts";
import type { CommandSpec } from "../command.ts";
import {
  columns,
  nameOf,
  parseKind,
  type StoreOptions,
  withStore,
  write,
  writeJsonArray,
} from "../store-query.ts";

export interface ResourcesOptions extends StoreOptions {
  kind?: string;
  filter?: string[];
  limit?: string;
  deleted?: boolean;
}

/** Splits `--filter` values into property filters and one text search. */
export function parseFilters(filters: string[]): Pick<ResourceQuery, "where" | "text"> {
  const where: Record<string, string> = {};
  const words: string[] = [];
  for (const filter of filters) {
    const eq = filter.indexOf("=");
    if (eq > 0) where[filter.slice(0, eq).trim()] = filter.slice(eq + 1);
    else words.push(filter);
  }
  const out: Pick<ResourceQuery, "where" | "text"> = {};
  if (Object.keys(where).length > 0) out.where = where;
  if (words.length > 0) out.text = words.join(" ");
  return out;
}

function parseLimit(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    throw createError("USAGE", { detail: `--limit must be a positive whole number (got "${value}")` });
  }
  return n;
}

export const resourcesCommand: CommandSpec<ResourcesOptions> = {
  name: "resources",
  summary: "List synced users, groups, apps, roles or licences from the store",
  configure(cmd: Command): Command {
    return cmd
      .requiredOption("--kind <kind>", "user, group, app, role or license")
      .option(
        "--filter <expr>",
        "name=value to match a property (repeatable), or text to match names",
        (v: string, all: string[]) => [...all, v],
        [],
      )
      .option("--limit <n>", "at most n results")
      .option("--deleted", "include soft-deleted objects")
      .option("--json", "print the objects as a JSON array");
  },
  async run(options, _args, io) {
    const query: ResourceQuery = {
      kind: parseKind(options.kind, "--kind"),
      ...parseFilters(options.filter ?? []),
    };
    const limit = parseLimit(options.limit);
    if (limit !== undefined) query.limit = limit;
    if (options.deleted) query.includeDeleted = true;
    return withStore(options, io, async (store) => {
      const rows = store.query.resources(query);
      if (options.json) {
        await writeJsonArray(
          io.stdout,
          mapAsync(rows, (r) => r.data),
        );
        return EXIT.ok;
      }
      let count = 0;
      for await (const r of rows) {
        const principal = [r.data.userPrincipalName, r.data.mail, r.data.appId, r.data.skuId].find(
          (v) => typeof v === "string",
        );
        await write(io.stdout, `${columns([r.id, nameOf(r.data, ""), String(principal ?? "")], [36, 40])}\n`);
        count++;
      }
      io.stderr.write(`${count} ${query.kind}${count === 1 ? "" : "s"}\n`);
      return EXIT.ok;
    });
  },
};

async function* mapAsync<T, U>(items: AsyncIterable<T>, f: (item: T) => U): AsyncIterable<U> {
  for await (const item of items) yield f(item);
}
