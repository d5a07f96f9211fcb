import { Command, CommanderError } from "commander";
import {
  createError,
  EXIT,
  redactString,
  terminalSafe,
  terminalSafeJson,
  toConnectorError,
  VERSION,
} from "../index.ts";
import type { CommandIO, CommandSpec, ErrorFormat } from "./command.ts";
import { commands } from "./commands/index.ts";
import { addFieldOptions } from "./field-options.ts";

/** Global connection flags: one per config field that has a flag and no command of its own. */
function addGlobalOptions(program: Command): void {
  program
    .option("--config <file>", "JSON config file (ENTRA_CONFIG)")
    .option("--json", "machine-readable output");
  addFieldOptions(program);
}

/**
 * Every failure, commander's refusals (unknown option, missing argument, excess arguments) included,
 * is reported here: one line (+ the fix) on stderr, or with --json one JSON object on stderr, so stdout
 * carries only results. A command whose results are always JSON (`action`) reports in JSON always.
 */
export function reportError(
  err: unknown,
  json: boolean,
  io: CommandIO,
  format: ErrorFormat = "text",
): number {
  // A command stopped by Ctrl-C was cancelled, whatever it was waiting for when the signal came.
  const e = toConnectorError(err, io.signal);
  if (json || format === "json") {
    io.stderr.write(terminalSafeJson({ error: e.toJSON() }) + "\n");
  } else {
    io.stderr.write(`error ${e.code}: ${terminalSafe(redactString(e.message))}\n`);
    if (e.fix) io.stderr.write(`  fix: ${terminalSafe(redactString(e.fix))}\n`);
  }
  return e.exitCode;
}

/**
 * Builds the commander program from the command list and runs `argv` (without node and script).
 * Returns the exit code; never exits the process.
 */
export async function runCli(
  argv: string[],
  io: CommandIO,
  list: CommandSpec<never>[] = commands,
): Promise<number> {
  const program = new Command("entra-connector")
    .description("Self-hosted Microsoft Entra ID connector")
    .version(VERSION, "-V, --version", "print the version")
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      outputError: () => {},
    })
    .showHelpAfterError(false);
  addGlobalOptions(program);
  let exit: number = EXIT.ok;
  /** The command whose arguments commander refused, so the refusal is reported in its format. */
  let refusedBy: ErrorFormat = "text";
  for (const spec of list) {
    const format = spec.errors ?? "text";
    // "group sub" (`mapping run`): a subcommand of a group command shared by the specs naming it;
    // "action <name>" is one command with an argument.
    const [group, second] = spec.name.split(" ") as [string, string | undefined];
    const sub = second !== undefined && !/^[<[]/.test(second) ? second : undefined;
    let parent = program;
    if (sub !== undefined) {
      parent = program.commands.find((c) => c.name() === group) ?? program.command(group);
      parent.description(`${group} commands: ${[...parent.commands.map((c) => c.name()), sub].join(", ")}`);
    }
    const cmd = spec
      .configure(parent.command(sub ?? spec.name).description(spec.summary))
      .exitOverride((err) => {
        refusedBy = format;
        throw err;
      });
    cmd.action(async (...params: unknown[]) => {
      const command = params.at(-1) as Command;
      const options = command.optsWithGlobals();
      const args = command.args;
      try {
        exit = await (spec as CommandSpec<Record<string, unknown>>).run(options, args, io);
      } catch (err) {
        exit = reportError(err, options["json"] === true, io, format);
      }
    });
  }
  try {
    await program.parseAsync(argv, { from: "user" });
  } catch (err) {
    // Commander failed before any command's options were parsed: look for --json ourselves.
    const json = argv.includes("--json");
    if (err instanceof CommanderError) {
      if (err.code === "commander.helpDisplayed" || err.code === "commander.version" || err.exitCode === 0) {
        return EXIT.ok;
      }
      // No command given: commander has already printed the help.
      if (err.code === "commander.help") return EXIT.usage;
      const usage = createError("USAGE", {
        detail: err.message.replace(/^error: /, "").replace(/\s*\n\s*/g, " "),
      });
      return reportError(usage, json, io, refusedBy);
    }
    return reportError(err, json, io, refusedBy);
  }
  return exit;
}
