/**
 * `entra-connector token create --name N --role viewer|operator|admin [--connection ID …]` prints a new
 * API token for the service (shown once; only its digest is kept), limited to the named connections
 * when there are any; `token list` and `token revoke <name>`.
 */
import type { Command } from "commander";
import {
  API_ROLES,
  type ApiRole,
  type ConfigFlags,
  createError,
  EXIT,
  loadSettings,
  openServiceStateFor,
  type ServiceState,
} from "../../index.ts";
import type { CommandIO, CommandSpec } from "../command.ts";
import { globalFlags } from "../field-options.ts";

export interface TokenOptions extends ConfigFlags {
  name?: string;
  role?: string;
  connection?: string[];
  json?: boolean;
}

/** `--connection ID`, once per connection a token or console user is limited to (none: all). */
export function connectionOption(cmd: Command, who: string): Command {
  return cmd.option(
    "--connection <id>",
    `limit ${who} to this connection (repeat for more; default all, and the routes about the whole service)`,
    (value: string, previous: string[] | undefined) => [...(previous ?? []), value],
  );
}

/**
 * The connections given with --connection, each one the service runs (`default`, the environment's,
 * or a managed one): a misspelt id would make a credential that can use nothing.
 */
export async function connectionLimit(
  options: { connection?: string[] },
  state: ServiceState,
): Promise<{ connections?: string[] }> {
  if (options.connection === undefined) return {};
  const known = ["default", ...(await state.listConnections()).map((c) => c.id)];
  const unknown = options.connection.filter((id) => !known.includes(id));
  if (unknown.length > 0) {
    throw createError("USAGE", {
      detail: `--connection ${unknown.join(", ")}: no such connection (known: ${known.join(", ")}); \`entra-connector connection list\` lists them`,
    });
  }
  return { connections: [...new Set(options.connection)] };
}

export const scopeText = (connections: readonly string[] | undefined) =>
  connections === undefined ? "all connections" : `connections ${connections.join(", ")}`;

/** What stderr says of a new token's or user's limit: nothing when it has none. */
export const limitNote = (connections: readonly string[] | undefined) =>
  connections === undefined ? "" : `, limited to ${scopeText(connections)}`;

/** Opens the service state `serve` uses (found as the store is), runs `use` on it, and closes it. */
export async function withServiceState<T>(
  options: ConfigFlags,
  io: CommandIO,
  use: (state: ServiceState) => T | Promise<T>,
): Promise<T> {
  const flags = globalFlags(options);
  const state = await openServiceStateFor(loadSettings({ env: io.env, flags }));
  try {
    return await use(state);
  } finally {
    await state.close();
  }
}

/** Checks --name and --role of a new token or console user. */
export function nameAndRole(options: { name?: string; role?: string }): { name: string; role: ApiRole } {
  if (!options.name || !/^[\w.@-]{1,64}$/.test(options.name)) {
    throw createError("USAGE", {
      detail: "--name is required: 1-64 letters, digits, '.', '@', '_' or '-'",
    });
  }
  if (!API_ROLES.includes(options.role as ApiRole)) {
    throw createError("USAGE", {
      detail: `--role must be one of ${API_ROLES.join(", ")} (got "${options.role ?? ""}")`,
    });
  }
  return { name: options.name, role: options.role as ApiRole };
}

export const tokenCommand: CommandSpec<TokenOptions> = {
  name: "token",
  summary: "Manage the service's API tokens: token create --name N --role R | token list | token revoke N",
  configure(cmd: Command): Command {
    return connectionOption(
      cmd
        .argument("<verb>", "create, list or revoke")
        .argument("[name]", "the token to revoke")
        .option("--name <name>", "a name for the new token (who or what uses it)")
        .option("--role <role>", `what it may do: ${API_ROLES.join(", ")}`),
      "the new token",
    );
  },
  async run(options, args, io) {
    const [verb, name] = args;
    if (verb === "create") {
      const wanted = nameAndRole(options);
      await withServiceState(options, io, async (state) => {
        const { token, info } = await state.createToken({
          ...wanted,
          ...(await connectionLimit(options, state)),
        });
        io.stdout.write(options.json ? `${JSON.stringify({ token, ...info })}\n` : `${token}\n`);
        if (!options.json)
          io.stderr.write(
            `token ${info.name} (${info.role}) created${limitNote(info.connections)}; it is shown this once\n`,
          );
      });
      return EXIT.ok;
    }
    if (verb === "list") {
      await withServiceState(options, io, async (state) => {
        const tokens = await state.listTokens();
        if (options.json) io.stdout.write(`${JSON.stringify(tokens)}\n`);
        else
          for (const t of tokens)
            io.stdout.write(
              `${t.name}\t${t.role}\tcreated ${t.createdAt}\tlast used ${t.lastUsedAt ?? "never"}\t${scopeText(t.connections)}\n`,
            );
      });
      return EXIT.ok;
    }
    if (verb === "revoke") {
      if (!name) throw createError("USAGE", { detail: "token revoke needs the token's name" });
      await withServiceState(options, io, async (state) => {
        await state.revokeToken(name);
      });
      io.stderr.write(`token ${name} revoked\n`);
      return EXIT.ok;
    }
    throw createError("USAGE", { detail: `token needs create, list or revoke (got "${verb}")` });
  },
};
