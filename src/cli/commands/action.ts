/**
 * `entra-connector action <name> --input '<json>' | --input-file <path|-> [--dry-run]`: runs one action.
 * The result is JSON on stdout; a failure, a refused flag included, is a non-zero exit with a JSON error
 * on stderr (--json or not). Writes need provisioning enabled (--provisioning / ENTRA_PROVISIONING=true)
 * unless --dry-run.
 */
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import {
  ACTIONS,
  type ActionDefinition,
  type ActionDeps,
  type ConfigFlags,
  createConnection,
  createError,
  EXIT,
  getAction,
  inputFields,
  loadConfig,
  openStore,
  runAction,
  terminalSafeJson,
} from "../../index.ts";
import type { CommandIO, CommandSpec } from "../command.ts";

export interface ActionCommandOptions extends ConfigFlags {
  input?: string;
  inputFile?: string;
  dryRun?: boolean;
  usageLocation?: string;
}

/**
 * Reads the action input from --input or --input-file (`-` is stdin, so a password never shows in
 * the process list); absent means `{}`.
 */
export function readInput(
  options: { input?: string; inputFile?: string },
  readStdin: () => string = () => readFileSync(0, "utf8"),
): unknown {
  if (options.input !== undefined && options.inputFile !== undefined) {
    throw createError("USAGE", { detail: "give either --input or --input-file, not both" });
  }
  let text = options.input;
  const source = options.inputFile === undefined ? "--input" : `--input-file ${options.inputFile}`;
  if (options.inputFile !== undefined) {
    try {
      text = options.inputFile === "-" ? readStdin() : readFileSync(options.inputFile, "utf8");
    } catch (err) {
      const reason = (err as NodeJS.ErrnoException).code ?? "unreadable";
      throw createError("USAGE", { detail: `${source}: ${reason}` });
    }
  }
  if (text === undefined) return {};
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw createError("USAGE", { detail: `${source} is not valid JSON: ${(err as Error).message}` });
  }
}

/**
 * Runs a definition the way every action-like command does: config, connection and store opened
 * here, the store's audit log as the sink, output JSON on stdout; errors are thrown to the CLI, which
 * reports them as JSON on stderr (the commands say `errors: "json"`).
 */
export async function runActionCommand(
  resolveDef: () => ActionDefinition,
  input: (def: ActionDefinition) => unknown,
  options: ConfigFlags & { dryRun?: boolean },
  io: CommandIO,
): Promise<number> {
  let close = async () => {};
  try {
    const def = resolveDef();
    const raw = input(def);
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
    io.stdout.write(`${terminalSafeJson(output, 2)}\n`);
    return EXIT.ok;
  } finally {
    await close();
  }
}

const takesUsageLocation = (def: ActionDefinition) =>
  inputFields(def).some((f) => f.name === "usageLocation");

/**
 * `--usage-location` is the input's `usageLocation`, so it is accepted only by actions whose input has
 * one; elsewhere it is a usage error naming those actions rather than a puzzling "unrecognized key".
 * Given in both places with different values, neither silently wins.
 */
export function withUsageLocation(def: ActionDefinition, raw: unknown, flag: string | undefined): unknown {
  if (flag === undefined) return raw;
  if (!takesUsageLocation(def)) {
    const takers = ACTIONS.filter(takesUsageLocation).map((a) => a.name);
    throw createError("USAGE", {
      detail: `--usage-location applies only to ${takers.join(", ")}; ${def.name} has no usageLocation`,
    });
  }
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) return raw;
  const given = (raw as { usageLocation?: unknown }).usageLocation;
  if (given !== undefined && String(given).toUpperCase() !== flag.toUpperCase()) {
    throw createError("USAGE", {
      detail: `usageLocation is ${JSON.stringify(given)} in the input but ${flag} in --usage-location; give it once`,
    });
  }
  return { ...raw, usageLocation: flag };
}

export const actionCommand: CommandSpec<ActionCommandOptions> = {
  name: "action <name>",
  summary: "Run one action (list them with `entra-connector actions`)",
  errors: "json",
  configure(cmd: Command): Command {
    const takers = ACTIONS.filter(takesUsageLocation).map((a) => a.name);
    return cmd
      .option("--input <json>", "the action's input as JSON")
      .option("--input-file <path>", "read the input JSON from a file, or from stdin with - (for passwords)")
      .option("--dry-run", "send nothing; print the exact Graph requests a write would send")
      .option(
        "--usage-location <cc>",
        `the input's usageLocation, a two-letter country code (only for ${takers.join(", ")})`,
      );
  },
  run(options, args, io) {
    const input = (def: ActionDefinition) =>
      withUsageLocation(def, readInput(options), options.usageLocation);
    return runActionCommand(() => getAction(args[0] ?? ""), input, options, io);
  },
};
