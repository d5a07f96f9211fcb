/** Reading the annotations delta answers put on objects (docs/graph.md#delta-queries). */

export type RemovedReason = "changed" | "deleted";

/**
 * `@removed.reason`: "changed" = soft-deleted (restorable), "deleted" = gone for good; undefined when
 * the object was created, updated or restored (Graph does not say which: the store knows).
 */
export function removedReason(raw: Record<string, unknown>): RemovedReason | undefined {
  const removed = raw["@removed"];
  if (removed === undefined || removed === null) return undefined;
  const reason = (removed as { reason?: unknown }).reason;
  return reason === "deleted" ? "deleted" : "changed";
}
