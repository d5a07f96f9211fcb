/**
 * `entra-connector access <user> [--json]`: everything a user has — groups, apps and app roles,
 * directory roles (active and eligible), licences — and through which group path, from the store.
 */
import type { Command } from "commander";
import { createError, EXIT, type ResourceKind } from "../../index.ts";
import type { CommandSpec } from "../command.ts";
import { columns, nameOf, type StoreOptions, withStore, write } from "../store-query.ts";
import { describePath, resolveOrFail } from "./grants.ts";

const SECTIONS: [ResourceKind, string][] = [
  ["group", "Groups"],
  ["app", "Apps"],
  ["role", "Directory roles"],
  ["license", "Licences"],
];

export const accessCommand: CommandSpec<StoreOptions> = {
  name: "access",
  summary: "Everything a user has, and through which groups",
  configure(cmd: Command): Command {
    return cmd
      .argument("<user>", "user id, userPrincipalName or display name")
      .option("--json", "print as JSON");
  },
  async run(options, args, io) {
    const ref = args[0];
    if (!ref) throw createError("USAGE", { detail: "access needs a user: entra-connector access <user>" });
    return withStore(options, io, async (store) => {
      const user = await resolveOrFail(store, "user", ref);
      const grants = await store.query.grants({ principalId: user.id });
      if (options.json) {
        await write(io.stdout, `${JSON.stringify({ user: user.data, grants }, null, 2)}\n`);
        return EXIT.ok;
      }
      const upn = typeof user.data.userPrincipalName === "string" ? ` <${user.data.userPrincipalName}>` : "";
      await write(io.stdout, `${nameOf(user.data, user.id)}${upn}  ${user.id}\n`);
      const names = new Map<string, string>();
      for (const [kind, title] of SECTIONS) {
        const section = grants.filter((g) => g.objectKind === kind);
        await write(io.stdout, `\n${title} (${section.length})\n`);
        for (const g of section) {
          const what = g.entitlement.replace(/^[a-z]+:/, "");
          const line = columns(
            ["", g.objectName ?? g.objectId, what, await describePath(store, g, names)],
            [0, 40, 20],
          );
          await write(io.stdout, `${line}\n`);
        }
      }
      return EXIT.ok;
    });
  },
};
