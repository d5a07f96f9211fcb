/** `entra-connector actions [--json]`: every action with its summary and input fields (or full schemas). */
import type { Command } from "commander";
import { ACTIONS, describeAction, EXIT, inputFields } from "../../index.ts";
import type { CommandSpec } from "../command.ts";

export interface ActionsOptions {
  json?: boolean;
}

export const actionsCommand: CommandSpec<ActionsOptions> = {
  name: "actions",
  summary: "List the actions with their input schemas",
  configure(cmd: Command): Command {
    return cmd.option("--json", "print the list with full JSON Schemas");
  },
  async run(options, _args, io) {
    if (options.json) {
      io.stdout.write(`${JSON.stringify(ACTIONS.map(describeAction), null, 2)}\n`);
      return EXIT.ok;
    }
    const text = ACTIONS.map((a) => {
      const fields = inputFields(a).map(
        (f) =>
          `    ${f.name}: ${f.type}${f.required ? " (required)" : ""}${f.description ? ` — ${f.description}` : ""}`,
      );
      return [`${a.name}${a.write ? " (write)" : ""} — ${a.summary}`, ...fields].join("\n");
    });
    // One write: a reader that closes early (`| head`) then costs one failed write, not many.
    io.stdout.write(`${text.join("\n")}\n`);
    return EXIT.ok;
  },
};
