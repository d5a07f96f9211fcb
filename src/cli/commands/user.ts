/**
 * `entra-connector user add --name N --role viewer|operator|admin [--connection ID …]` adds a console
 * user (limited to the named connections when there are any), reading the password from stdin (never from a flag, which the process list shows); `user list`, `user remove N`.
 */
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { API_ROLES, type ConfigFlags, createError, EXIT } from "../../index.ts";
import type { CommandSpec } from "../command.ts";
import {
  connectionLimit,
  connectionOption,
  limitNote,
  nameAndRole,
  scopeText,
  withServiceState,
} from "./token.ts";

export interface UserOptions extends ConfigFlags {
  name?: string;
  role?: string;
  connection?: string[];
  json?: boolean;
}

const MIN_PASSWORD = 12;

/** The first line of stdin: a password typed at a prompt or piped from a secret store. */
export function readPassword(readStdin: () => string = () => readFileSync(0, "utf8")): string {
  const password = (readStdin().split(/\r?\n/)[0] ?? "").normalize("NFC");
  if ([...password].length < MIN_PASSWORD) {
    throw createError("USAGE", {
      detail: `the password (read from stdin) must have at least ${MIN_PASSWORD} characters, e.g. printf '%s\\n' "$PASSWORD" | entra-connector user add …`,
    });
  }
  return password;
}

export const userCommand: CommandSpec<UserOptions> = {
  name: "user",
  summary:
    "Manage the web console's local users: user add --name N --role R (password on stdin) | user list | user remove N",
  configure(cmd: Command): Command {
    return connectionOption(
      cmd
        .argument("<verb>", "add, list or remove")
        .argument("[name]", "the user to remove")
        .option("--name <name>", "the new user's sign-in name")
        .option("--role <role>", `what they may do: ${API_ROLES.join(", ")}`),
      "the new user",
    );
  },
  async run(options, args, io) {
    const [verb, name] = args;
    if (verb === "add") {
      const wanted = nameAndRole(options);
      if (process.stdin.isTTY)
        io.stderr.write(`password for ${wanted.name} (at least ${MIN_PASSWORD} characters), then Enter: `);
      const password = readPassword();
      await withServiceState(options, io, async (state) => {
        const info = await state.addUser({ ...wanted, password, ...(await connectionLimit(options, state)) });
        if (options.json) io.stdout.write(`${JSON.stringify(info)}\n`);
        io.stderr.write(`console user ${info.name} (${info.role}) added${limitNote(info.connections)}\n`);
      });
      return EXIT.ok;
    }
    if (verb === "list") {
      await withServiceState(options, io, async (state) => {
        const users = await state.listUsers();
        if (options.json) io.stdout.write(`${JSON.stringify(users)}\n`);
        else
          for (const u of users)
            io.stdout.write(`${u.name}\t${u.role}\tcreated ${u.createdAt}\t${scopeText(u.connections)}\n`);
      });
      return EXIT.ok;
    }
    if (verb === "remove") {
      if (!name) throw createError("USAGE", { detail: "user remove needs the user's name" });
      await withServiceState(options, io, async (state) => {
        await state.removeUser(name);
      });
      io.stderr.write(`console user ${name} removed; their sessions ended\n`);
      return EXIT.ok;
    }
    throw createError("USAGE", { detail: `user needs add, list or remove (got "${verb}")` });
  },
};
