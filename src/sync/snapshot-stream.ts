/**
 * Small collections Graph offers no delta for (directory roles and their assignments, subscribed
 * SKUs): read in full every run, page by page in one store round, then swept. A few requests per run
 * whatever the tenant's size; the store turns what differs into change events.
 */
import type { Relation, ResourceKind } from "../store/types.ts";
import { commitPage, commitSweep, type StreamContext } from "./context.ts";
import type { PageContent } from "./tracked-stream.ts";

export interface SnapshotSpec {
  stream: string;
  kinds: ResourceKind[];
  /** Yields the collection's pages; `relations` lists what was read in full (and may be swept) by the end. */
  read(ctx: StreamContext, relations: Set<Relation>): AsyncIterable<PageContent>;
}

export async function runSnapshot(spec: SnapshotSpec, ctx: StreamContext): Promise<void> {
  ctx.observer.phase?.(spec.stream, "loading");
  const round = await ctx.store.sync.newRound();
  const relations = new Set<Relation>();
  for await (const content of spec.read(ctx, relations)) {
    await commitPage(ctx, { stream: spec.stream, round, ...content });
  }
  ctx.observer.phase?.(spec.stream, "sweeping");
  await commitSweep(ctx, { stream: spec.stream, round, kinds: spec.kinds, relations: [...relations] });
}
