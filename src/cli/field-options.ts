import { type Command, Option } from "commander";
import { FIELDS, type FieldName, fieldCommand, fieldHelp } from "../index.ts";

/** Settings given as bare switches (`--provisioning`), not `--flag <value>`. */
const BOOLEAN_FLAGS = new Set<FieldName>(["provisioning", "skipAdGroups", "metricsOpen"]);

/**
 * Adds the flags of the settings that belong to `command` (undefined: the global ones) to `cmd`; names
 * match the config keys, so commander's parsed options go straight to `loadConfig` / `loadSettings`.
 */
export function addFieldOptions(cmd: Command, command?: string): Command {
  for (const name of Object.keys(FIELDS) as FieldName[]) {
    const { flag, env } = FIELDS[name];
    if (flag === undefined || fieldCommand(name) !== command) continue;
    cmd.addOption(
      new Option(BOOLEAN_FLAGS.has(name) ? flag : `${flag} <value>`, `${fieldHelp(name)} (${env})`),
    );
  }
  return cmd;
}

/**
 * A command's options as config flags for anything but `serve`: without the settings of `serve`'s own
 * flags, as another command's option of the same name (`token create --role`, `grants --role`) is its own.
 */
export function globalFlags<T extends object>(options: T): T {
  const flags = { ...options } as Record<string, unknown>;
  for (const name of Object.keys(FIELDS) as FieldName[])
    if (fieldCommand(name) !== undefined) delete flags[name];
  return flags as T;
}
