import type { CommandSpec } from "../command.ts";
import { accessCommand } from "./access.ts";
import { actionCommand } from "./action.ts";
import { actionsCommand } from "./actions.ts";
import { checkCommand } from "./check.ts";
import { connectionCommand } from "./connection.ts";
import { demoCommand } from "./demo.ts";
import { diffCommand } from "./diff.ts";
import { emulatorCommand } from "./emulator.ts";
import { exportCommand } from "./export.ts";
import { grantCommand } from "./grant.ts";
import { grantsCommand } from "./grants.ts";
import { loginCommand } from "./login.ts";
import { mappingLogsCommand, mappingRunCommand, mappingValidateCommand } from "./mapping.ts";
import { resourcesCommand } from "./resources.ts";
import { revokeCommand } from "./revoke.ts";
import { runsCommand } from "./runs.ts";
import { serveCommand } from "./serve.ts";
import { storeCommand } from "./store.ts";
import { syncCommand } from "./sync.ts";
import { tokenCommand } from "./token.ts";
import { userCommand } from "./user.ts";
import { watchCommand } from "./watch.ts";
import { workerCommand } from "./worker.ts";

/** Every CLI command, in help order. Add one line per command file. */
export const commands: CommandSpec<never>[] = [
  checkCommand as CommandSpec<never>,
  loginCommand as CommandSpec<never>,
  syncCommand as CommandSpec<never>,
  resourcesCommand as CommandSpec<never>,
  grantsCommand as CommandSpec<never>,
  accessCommand as CommandSpec<never>,
  diffCommand as CommandSpec<never>,
  runsCommand as CommandSpec<never>,
  exportCommand as CommandSpec<never>,
  demoCommand as CommandSpec<never>,
  emulatorCommand as CommandSpec<never>,
  actionsCommand as CommandSpec<never>,
  actionCommand as CommandSpec<never>,
  grantCommand as CommandSpec<never>,
  revokeCommand as CommandSpec<never>,
  watchCommand as CommandSpec<never>,
  serveCommand as CommandSpec<never>,
  tokenCommand as CommandSpec<never>,
  userCommand as CommandSpec<never>,
  connectionCommand as CommandSpec<never>,
  mappingRunCommand as CommandSpec<never>,
  mappingLogsCommand as CommandSpec<never>,
  mappingValidateCommand as CommandSpec<never>,
  workerCommand as CommandSpec<never>,
  storeCommand as CommandSpec<never>,
];
