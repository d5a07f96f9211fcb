/**
 * `entra-connector connection add|list|remove|test`: the service's managed connections from the command
 * line, on the same state as `serve` (`.entra-connector/service.db` beside the store, as `token`).
 * Secrets come from stdin or the environment, never from a flag (flags show in process lists). A
 * running service sees the changes at its next start; the API changes them live.
 */
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import {
  type CheckView,
  type ConfigFlags,
  type ConnectionAdmin,
  type ConnectionRegistry,
  type CreateConnectionInput,
  connectionAdmin,
  connectionView,
  createError,
  EXIT,
  loadConnectorKey,
  loadSettings,
  openConnections,
  openServiceStateFor,
  terminalSafe,
  terminalSafeJson,
} from "../../index.ts";
import type { CommandIO, CommandSpec } from "../command.ts";

export interface ConnectionOptions extends ConfigFlags {
  name?: string;
  id?: string;
  clientSecretStdin?: boolean;
  certificate?: string;
  key?: string;
  delegated?: boolean;
  kinds?: string;
  timeZone?: string;
  json?: boolean;
}

const ACTOR = "cli";

async function withAdmin<T>(
  options: ConnectionOptions,
  io: CommandIO,
  use: (admin: ConnectionAdmin, registry: ConnectionRegistry) => Promise<T>,
): Promise<T> {
  const settings = loadSettings({ env: io.env, flags: options });
  const { stateDir } = settings;
  const state = await openServiceStateFor(settings);
  let registry: ConnectionRegistry | undefined;
  try {
    const key = await loadConnectorKey({ stateDir, connectorKey: io.env["ENTRA_CONNECTOR_KEY"] });
    // --tenant-id and --client-id name the connection being added, not the environment's.
    const { tenantId: _t, clientId: _c, ...flags } = options;
    const managed = { key, env: io.env, flags, stateDir, store: settings.store };
    registry = await openConnections({ ...managed, state });
    return await use(connectionAdmin({ ...managed, state, registry }), registry);
  } finally {
    await registry?.close();
    await state.close();
  }
}

function readFile(path: string, flag: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    throw createError("USAGE", {
      detail: `${flag} ${path}: ${(err as NodeJS.ErrnoException).code ?? "unreadable"}`,
    });
  }
}

/** The credential of `connection add`: a secret from stdin or ENTRA_CLIENT_SECRET, PEM files, or delegated. */
function credentialOf(
  options: ConnectionOptions,
  io: CommandIO,
  readStdin: () => string,
): CreateConnectionInput["credential"] {
  const chosen = [
    options.clientSecretStdin || io.env["ENTRA_CLIENT_SECRET"] ? "secret" : undefined,
    options.certificate !== undefined || options.key !== undefined ? "certificate" : undefined,
    options.delegated ? "delegated" : undefined,
  ].filter((c) => c !== undefined);
  if (chosen.length !== 1) {
    throw createError("USAGE", {
      detail:
        "give one credential: --client-secret-stdin (or ENTRA_CLIENT_SECRET), --certificate F --key F, or --delegated",
    });
  }
  if (chosen[0] === "delegated") return { type: "delegated" };
  if (chosen[0] === "certificate") {
    if (options.certificate === undefined || options.key === undefined) {
      throw createError("USAGE", {
        detail: "a certificate credential needs both --certificate and --key (PEM files)",
      });
    }
    return {
      type: "certificate",
      certificatePem: readFile(options.certificate, "--certificate"),
      privateKeyPem: readFile(options.key, "--key"),
    };
  }
  const secret = (options.clientSecretStdin ? readStdin() : String(io.env["ENTRA_CLIENT_SECRET"])).trim();
  if (secret === "") throw createError("USAGE", { detail: "--client-secret-stdin: stdin was empty" });
  return { type: "secret", secret };
}

function renderCheck(check: CheckView): string {
  if (check.ok) return "test: ok\n";
  const lines = [`test: failed${check.error ? `: ${terminalSafe(check.error.message)}` : ""}`];
  if (check.error?.fix) lines.push(`  fix: ${terminalSafe(check.error.fix)}`);
  for (const i of check.items.filter((i) => i.status === "missing")) {
    lines.push(`  ✗ ${i.capability}: add ${i.permission}`);
  }
  if (check.consentUrl) lines.push(`  admin consent: ${check.consentUrl}`);
  return `${lines.join("\n")}\n`;
}

export const connectionCommand: CommandSpec<ConnectionOptions> = {
  name: "connection",
  summary:
    "Manage the service's connections: connection add --name N --tenant-id T --client-id C … | list | remove <id> | test <id>",
  configure(cmd: Command): Command {
    return cmd
      .argument("<verb>", "add, list, remove or test")
      .argument("[id]", "the connection to remove or test")
      .option("--name <name>", "add: a name for the connection (its id is derived from it unless --id)")
      .option("--id <id>", "add: the connection's id (lowercase letters, digits, '-')")
      .option("--client-secret-stdin", "add: read the client secret from stdin (or set ENTRA_CLIENT_SECRET)")
      .option("--certificate <file>", "add: the PEM certificate of a certificate credential")
      .option("--key <file>", "add: its PEM private key")
      .option("--delegated", "add: sign in as a user, later, from the console (Sign in with Microsoft)")
      .option("--schedule <schedule>", "add: sync by itself, `every 15m` or a cron expression")
      .option("--time-zone <zone>", "add: the IANA time zone of a cron schedule (default UTC)")
      .option("--kinds <list>", "add: what a sync takes by default, e.g. users,groups");
  },
  async run(options, args, io) {
    const [verb, id] = args;
    if (verb === "add") {
      if (!options.name) throw createError("USAGE", { detail: "connection add needs --name" });
      if (!options.tenantId || !options.clientId) {
        throw createError("USAGE", { detail: "connection add needs --tenant-id and --client-id" });
      }
      const input: CreateConnectionInput = {
        name: options.name,
        tenantId: String(options.tenantId),
        clientId: String(options.clientId),
        credential: credentialOf(options, io, () => readFileSync(0, "utf8")),
        options: {
          ...(options.kinds !== undefined ? { kinds: options.kinds } : {}),
          ...(options["schedule"] !== undefined ? { schedule: String(options["schedule"]) } : {}),
          ...(options.timeZone !== undefined ? { timeZone: options.timeZone } : {}),
          ...(options.provisioning !== undefined ? { provisioning: options.provisioning === true } : {}),
          ...(options.skipAdGroups !== undefined ? { skipOnPremGroups: options.skipAdGroups === true } : {}),
        },
        ...(options.id !== undefined ? { id: options.id } : {}),
        ...(options.cloud !== undefined ? { cloud: String(options.cloud) } : {}),
      };
      return withAdmin(options, io, async (admin) => {
        const { connection, check } = await admin.create(input, ACTOR);
        if (options.json) {
          io.stdout.write(`${terminalSafeJson({ connection: await connectionView(connection), check })}\n`);
        } else {
          io.stdout.write(`${connection.id}\n`);
          io.stderr.write(`connection ${connection.id} added\n${renderCheck(check)}`);
        }
        return EXIT.ok;
      });
    }
    if (verb === "list") {
      return withAdmin(options, io, async (_admin, registry) => {
        const views = await Promise.all(registry.list().map((c) => connectionView(c)));
        if (options.json) io.stdout.write(`${terminalSafeJson({ items: views, next: null })}\n`);
        else
          for (const v of views)
            io.stdout.write(
              `${v.id}\t${v.source}\t${terminalSafe(v.name)}\t${v.tenantId}\t${v.credential.type}${v.credential.set ? "" : " (not signed in)"}\t${v.schedule ?? "on request"}\n`,
            );
        return EXIT.ok;
      });
    }
    if (verb === "remove" || verb === "test") {
      if (!id) throw createError("USAGE", { detail: `connection ${verb} needs the connection's id` });
      return withAdmin(options, io, async (admin) => {
        if (verb === "remove") {
          await admin.remove(id, ACTOR);
          io.stderr.write(`connection ${id} removed\n`);
          return EXIT.ok;
        }
        const check = await admin.test(id, io.signal);
        io.stdout.write(options.json ? `${terminalSafeJson(check)}\n` : renderCheck(check));
        return check.ok ? EXIT.ok : EXIT.permissions;
      });
    }
    throw createError("USAGE", {
      detail: `connection needs add, list, remove or test (got "${verb ?? ""}")`,
    });
  },
};
