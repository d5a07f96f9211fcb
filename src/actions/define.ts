import type { z } from "zod";
import type { ActionDefinition } from "./types.ts";

/** Declares an action, inferring its input and output types from the schemas. */
export function defineAction<I extends z.ZodType, O extends z.ZodType>(
  def: ActionDefinition<I, O>,
): ActionDefinition<I, O> {
  return def;
}

export const USER_WRITE = ["User.ReadWrite.All", "Directory.ReadWrite.All"] as const;
export const USER_READ = ["User.Read.All", "User.ReadBasic.All", "Directory.Read.All"] as const;
export const GROUP_WRITE = ["Group.ReadWrite.All", "Directory.ReadWrite.All"] as const;
export const GROUP_READ = ["Group.Read.All", "Directory.Read.All"] as const;
export const MEMBER_WRITE = [
  "GroupMember.ReadWrite.All",
  "Group.ReadWrite.All",
  "Directory.ReadWrite.All",
] as const;
export const MEMBER_READ = ["GroupMember.Read.All", "Group.Read.All", "Directory.Read.All"] as const;
export const LICENSE_WRITE = [
  "User.ReadWrite.All",
  "LicenseAssignment.ReadWrite.All",
  "Directory.ReadWrite.All",
] as const;
export const LICENSE_READ = ["User.Read.All", "Directory.Read.All"] as const;
