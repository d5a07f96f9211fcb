import type { z } from "zod";
import { CAPABILITIES } from "../auth/capabilities.ts";
import type { ActionDefinition } from "./types.ts";

/** Declares an action, inferring its input and output types from the schemas. */
export function defineAction<I extends z.ZodType, O extends z.ZodType>(
  def: ActionDefinition<I, O>,
): ActionDefinition<I, O> {
  return def;
}

/**
 * The permissions (alternatives) of a capability in the connection check's table, so "missing
 * permission" errors and `entra-connector check` always name the same ones.
 */
function needs(capability: string, requirement = 0): readonly string[] {
  const found = CAPABILITIES.find((c) => c.id === capability)?.requires[requirement];
  if (!found) throw new Error(`no capability ${capability} in src/auth/capabilities.ts`);
  return found;
}

export const USER_WRITE = needs("write.users");
export const USER_READ = needs("sync.users");
export const GROUP_WRITE = needs("write.groups");
export const GROUP_READ = needs("sync.groups");
export const MEMBER_WRITE = needs("write.memberships");
export const MEMBER_READ = needs("sync.memberships");
export const LICENSE_WRITE = needs("write.licenses");
export const LICENSE_READ = needs("sync.licenses");
export const SKU_READ = needs("sync.licenses", 1);
export const ROLE_WRITE = needs("write.roles");
export const APP_ASSIGNMENT_WRITE = needs("write.appAssignments");
