/**
 * The actions as typed library functions: each validates its input, honours the provisioning gate and
 * dry run, and audits writes (see runner.ts).
 *
 * @example
 *   const conn = createConnection(loadConfig());
 *   const deps = { graph: conn.graph, writesEnabled: conn.config.provisioning };
 *   await addUserToGroup(deps, { user: "ann@contoso.com", group: "Finance" }); // { changed: true, … }
 */
import type { z } from "zod";
import * as groups from "./groups.ts";
import * as licenses from "./license-actions.ts";
import { type ActionDeps, type DryRunFields, type RunOptions, runAction } from "./runner.ts";
import * as search from "./search.ts";
import type { ActionDefinition } from "./types.ts";
import * as users from "./users.ts";

export type ActionFunction<I extends z.ZodType, O extends z.ZodType> = (
  deps: ActionDeps,
  input: z.input<I>,
  options?: RunOptions,
) => Promise<z.input<O> & DryRunFields>;

export function bindAction<I extends z.ZodType, O extends z.ZodType>(
  def: ActionDefinition<I, O>,
): ActionFunction<I, O> {
  return (deps, input, options) => runAction(def, input, deps, options);
}

export const createUser = bindAction(users.createUser);
export const getUser = bindAction(users.getUser);
export const updateUser = bindAction(users.updateUser);
export const disableUser = bindAction(users.disableUser);
export const enableUser = bindAction(users.enableUser);
export const deleteUser = bindAction(users.deleteUser);
export const restoreUser = bindAction(users.restoreUser);
export const resetPassword = bindAction(users.resetPassword);
export const revokeSessions = bindAction(users.revokeSessions);
export const createGroup = bindAction(groups.createGroup);
export const getGroup = bindAction(groups.getGroup);
export const updateGroup = bindAction(groups.updateGroup);
export const deleteGroup = bindAction(groups.deleteGroup);
export const addUserToGroup = bindAction(groups.addUserToGroup);
export const removeUserFromGroup = bindAction(groups.removeUserFromGroup);
export const addGroupOwner = bindAction(groups.addGroupOwner);
export const removeGroupOwner = bindAction(groups.removeGroupOwner);
export const addRemoveUserLicense = bindAction(licenses.addRemoveUserLicense);
export const getUserLicense = bindAction(licenses.getUserLicense);
export const listLicenses = bindAction(licenses.listLicenses);
export const searchUsers = bindAction(search.searchUsers);
export const searchGroupMembers = bindAction(search.searchGroupMembers);
export const searchTransitiveGroupMembers = bindAction(search.searchTransitiveGroupMembers);

export { recentlyCreated } from "./context.ts";
export {
  ACTIONS,
  type ActionDescription,
  describeAction,
  getAction,
  type InputField,
  inputFields,
} from "./registry.ts";
export { type ActionDeps, type DryRunFields, type RunOptions, runAction } from "./runner.ts";
export type { ActionDefinition, AuditRecord, AuditSink, PlannedRequest } from "./types.ts";
