import type { CommandSpec } from "../command.ts";
import { actionCommand } from "./action.ts";
import { actionsCommand } from "./actions.ts";
import { checkCommand } from "./check.ts";
import { demoCommand } from "./demo.ts";
import { emulatorCommand } from "./emulator.ts";
import { grantCommand } from "./grant.ts";
import { loginCommand } from "./login.ts";
import { revokeCommand } from "./revoke.ts";
import { syncCommand } from "./sync.ts";
import { watchCommand } from "./watch.ts";

/** Every CLI command, in help order. Add one line per command file. */
export const commands: CommandSpec<never>[] = [
  checkCommand as CommandSpec<never>,
  loginCommand as CommandSpec<never>,
  syncCommand as CommandSpec<never>,
  demoCommand as CommandSpec<never>,
  emulatorCommand as CommandSpec<never>,
  actionsCommand as CommandSpec<never>,
  actionCommand as CommandSpec<never>,
  grantCommand as CommandSpec<never>,
  revokeCommand as CommandSpec<never>,
  watchCommand as CommandSpec<never>,
];
