/** `entra-connector actions [--json]`: every action with its summary and input schema. */
import type { Command } from "commander";
import { ACTIONS, describeAction, EXIT } from "../../index.ts";
import type { CommandSpec } from "../command.ts";

export interface ActionsOptions {
  json?: boolean;
}

/** One line per input property: name, type, whether required, description. */
function inputLines(schema: unknown): string[] {
  const s = schema as {
    properties?: Record<string, { type?: unknown; description?: string }>;
    required?: string[];
  };
  return Object.entries(s.properties ?? {}).map(([name, p]) => {
    const type = Array.isArray(p.type) ? p.type.join("|") : String(p.type ?? "any");
    const req = s.required?.includes(name) ? " (required)" : "";
    return `    ${name}: ${type}${req}${p.description ? ` — ${p.description}` : ""}`;
  });
}

export const actionsCommand: CommandSpec<ActionsOptions> = {
  name: "actions",
  summary: "List the actions with their input schemas",
  configure(cmd: Command): Command {
    return cmd.option("--json", "print the list with full JSON Schemas");
  },
  async run(options, _args, io) {
    const list = ACTIONS.map(describeAction);
    if (options.json) {
      io.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
      return EXIT.ok;
    }
    for (const a of list) {
      io.stdout.write(
        `${a.name}${a.write ? " (write)" : ""} — ${a.summary}\n${inputLines(a.inputSchema).join("\n")}\n`,
      );
    }
    return EXIT.ok;
  },
};
