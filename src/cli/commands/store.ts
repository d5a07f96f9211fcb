/**
 * `entra-connector store migrate [--store URL]`: applies the migrations the store lacks (creating it
 * when new) and prints its schema versions.
 * `entra-connector store copy --from file.db --to postgres://… [--force]`: copies a SQLite store into
 * PostgreSQL, everything it holds, in one transaction on the target.
 */
import type { Command } from "commander";
import {
  type ConfigFlags,
  copyStore,
  createError,
  EXIT,
  loadSettings,
  migrateStore,
  terminalSafe,
  terminalSafeJson,
} from "../../index.ts";
import type { CommandSpec } from "../command.ts";
import { write } from "../store-query.ts";

export interface StoreCommandOptions extends ConfigFlags {
  from?: string;
  to?: string;
  force?: boolean;
  json?: boolean;
}

export const storeCommand: CommandSpec<StoreCommandOptions> = {
  name: "store",
  summary: "Maintain the store: migrate (apply schema migrations) or copy (SQLite into PostgreSQL)",
  configure(cmd: Command): Command {
    return cmd
      .argument("<action>", "migrate or copy")
      .option("--from <file>", "copy: the SQLite store to copy")
      .option("--to <url>", "copy: the postgres:// store to copy into")
      .option("--force", "copy: replace what the target store holds")
      .option("--json", "print as JSON");
  },
  async run(options, args, io) {
    const action = args[0];
    if (action === "migrate") {
      const result = await migrateStore(loadSettings({ env: io.env, flags: options }).store);
      if (options.json) {
        await write(io.stdout, `${terminalSafeJson(result, 2)}\n`);
        return EXIT.ok;
      }
      await write(io.stdout, `${terminalSafe(result.location)}\n`);
      for (const v of result.versions) {
        await write(io.stdout, `  ${v.version}  ${v.appliedAt}  ${terminalSafe(v.name)}\n`);
      }
      return EXIT.ok;
    }
    if (action === "copy") {
      if (!options.from || !options.to) {
        throw createError("USAGE", {
          detail: "store copy needs --from <SQLite file> and --to <postgres:// URL>",
        });
      }
      const result = await copyStore({ from: options.from, to: options.to, force: options.force === true });
      if (options.json) {
        await write(io.stdout, `${terminalSafeJson(result, 2)}\n`);
        return EXIT.ok;
      }
      const counts = Object.entries(result.rows)
        .map(([table, n]) => `${table} ${n}`)
        .join(", ");
      await write(
        io.stdout,
        `copied ${terminalSafe(result.from)} into ${terminalSafe(result.to)}: ${counts}\n`,
      );
      return EXIT.ok;
    }
    throw createError("USAGE", { detail: `store takes migrate or copy (got "${action ?? ""}")` });
  },
};
