/**
 * `entra-connector action <name> --input '<json>' | --input-file <path> [--dry-run]`: runs one action.
 * The result is JSON on stdout; a failure is a non-zero exit with a JSON error on stderr. Writes need
 * provisioning enabled (--provisioning / ENTRA_PROVISIONING=true) unless --dry-run.
 */
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import {
  type ActionDefinition,
  type ActionDeps,
  type ConfigFlags,
  createConnection,
  createError,
  EXIT,
  getAction,
  loadConfig,
  runAction,
  toConnectorError,
} from "../../index.ts";
import { openStore } from "../../store/index.ts";
import type { CommandIO, CommandSpec } from "../command.ts";

export interface ActionCommandOptions extends ConfigFlags {
  input?: string;
  inputFile?: string;
  dryRun?: boolean;
  usageLocation?: string;
}

/** Reads the action input from --input or --input-file; absent means `{}`. */
export function readInput(options: { input?: string; inputFile?: string }): unknown {
  if (options.input !== undefined && options.inputFile !== undefined) {
    throw createError("USAGE", { detail: "give either --input or --input-file, not both" });
  }
  let text = options.input;
  if (options.inputFile !== undefined) {
    try {
      text = readFileSync(options.inputFile, "utf8");
    } catch (err) {
      const reason = (err as NodeJS.ErrnoException).code ?? "unreadable";
      throw createError("USAGE", { detail: `--input-file ${options.inputFile}: ${reason}` });
    }
  }
  if (text === undefined) return {};
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw createError("USAGE", { detail: `--input is not valid JSON: ${(err as Error).message}` });
  }
}

/**
 * Runs a definition the way every action-like command does: config, connection and store opened
 * here, the store's audit log as the sink, output JSON on stdout, errors JSON on stderr.
 */
export async function runActionCommand(
  resolveDef: () => ActionDefinition,
  input: () => unknown,
  options: ConfigFlags & { dryRun?: boolean },
  io: CommandIO,
): Promise<number> {
  let close = async () => {};
  try {
    const def = resolveDef();
    const raw = input();
    const config = loadConfig({ env: io.env, flags: options });
    const store = def.write ? await openStore(config.store) : undefined;
    const connection = createConnection(config, { env: io.env });
    close = async () => {
      await connection.close();
      await store?.close();
    };
    const deps: ActionDeps = {
      graph: connection.graph,
      writesEnabled: config.provisioning,
      signal: io.signal,
      ...(store ? { audit: store.audit } : {}),
    };
    const output = await runAction(def, raw, deps, { dryRun: options.dryRun === true });
    io.stdout.write(`${JSON.stringify(output, null, 2)}\n`);
    return EXIT.ok;
  } catch (err) {
    const error = toConnectorError(err);
    io.stderr.write(`${JSON.stringify({ error: error.toJSON() })}\n`);
    return error.exitCode;
  } finally {
    await close();
  }
}

export const actionCommand: CommandSpec<ActionCommandOptions> = {
  name: "action <name>",
  summary: "Run one action (list them with `entra-connector actions`)",
  configure(cmd: Command): Command {
    return cmd
      .option("--input <json>", "the action's input as JSON")
      .option("--input-file <path>", "read the input JSON from a file")
      .option("--dry-run", "send nothing; print the exact Graph requests a write would send")
      .option("--usage-location <cc>", "usageLocation for licence actions (two-letter country code)");
  },
  run(options, args, io) {
    const input = () => {
      const raw = readInput(options);
      return options.usageLocation && raw && typeof raw === "object"
        ? { ...raw, usageLocation: options.usageLocation }
        : raw;
    };
    return runActionCommand(() => getAction(args[0] ?? ""), input, options, io);
  },
};
