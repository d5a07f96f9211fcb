/**
 * `entra-connector access <user> [--json]`: everything a user has — groups, apps and app roles,
 * directory roles (active and eligible), licences — and through which group path, from the store.
 */
import type { Command } from "commander";
import { createError, EXIT, type ResourceKind, terminalSafe, terminalSafeJson } from "../../index.ts";
import type { CommandSpec } from "../command.ts";
import { entitlementLabel, nameOf, type StoreOptions, table, withStore, write } from "../store-query.ts";
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
        await write(io.stdout, `${terminalSafeJson({ user: user.data, grants }, 2)}\n`);
        return EXIT.ok;
      }
      const upn = typeof user.data.userPrincipalName === "string" ? ` <${user.data.userPrincipalName}>` : "";
      await write(io.stdout, `${terminalSafe(`${nameOf(user.data, user.id)}${upn}  ${user.id}`)}\n`);
      const names = new Map<string, string>();
      const sections = SECTIONS.map(([kind, title]) => ({
        title,
        grants: grants.filter((g) => g.objectKind === kind),
      }));
      const rows: string[][] = [];
      for (const g of sections.flatMap((section) => section.grants)) {
        const what = entitlementLabel(g).replace(/^[a-z]+:/, "");
        rows.push(["", g.objectName ?? g.objectId, what, await describePath(store, g, names)]);
      }
      // One table for all sections, so their columns line up with each other.
      const lines = table(rows);
      for (const section of sections) {
        await write(io.stdout, `\n${section.title} (${section.grants.length})\n`);
        for (const line of lines.splice(0, section.grants.length)) await write(io.stdout, `${line}\n`);
      }
      return EXIT.ok;
    });
  },
};
