import { z } from "zod";
import { isConnectorError } from "../errors.ts";
import { isNotFound } from "./refusals.ts";
import { type DirectoryObject, resolve, resolveDeleted } from "./resolve.ts";
import { writeResult } from "./schemas.ts";
import type { ActionContext } from "./types.ts";

export const deleteOutput = z.object({
  ...writeResult,
  id: z.string().optional(),
  alreadyDeleted: z.boolean().optional(),
});

/**
 * Deletes a user or group, repeat-safe: one already in deleted items is `changed: false`. A group that
 * is nowhere is too, because security groups are deleted permanently and leave no trace to tell a
 * repeat from a typo; a user always goes to deleted items, so a user that is nowhere is not found.
 */
export async function deleteObject(
  ctx: ActionContext,
  kind: "user" | "group",
  ref: string,
  refuse: (object: DirectoryObject) => void,
): Promise<z.input<typeof deleteOutput>> {
  let object: DirectoryObject;
  try {
    object = await resolve(ctx, kind, ref);
  } catch (err) {
    if (!isConnectorError(err, "OBJECT_NOT_FOUND")) throw err;
    const deleted = await resolveDeleted(ctx, kind, ref);
    if (!deleted && kind === "user") throw err;
    ctx.setTarget(`${kind}:${deleted?.id ?? ref}`);
    return { changed: false, alreadyDeleted: true, ...(deleted ? { id: deleted.id } : {}) };
  }
  ctx.setTarget(`${kind}:${object.id}`);
  refuse(object);
  try {
    await ctx.write({ method: "DELETE", url: `/${kind}s/${object.id}` });
    if (!ctx.dryRun) ctx.recent.forget(object.id);
  } catch (err) {
    // A retried DELETE whose first attempt went through.
    if (isNotFound(err)) return { changed: false, id: object.id, alreadyDeleted: true };
    throw err;
  }
  return { changed: true, id: object.id };
}
