/**
 * The life of a delta-tracked stream (users, groups, apps): a full load that ends in a sweep, then
 * incremental rounds from the saved delta link; every page committed with the position after it.
 *
 * Full load plan: take a `$deltatoken=latest` link first, then list the collection at 999 a page
 * (five times fewer pages than a delta round's ~200, and list pages may be served while per-object
 * reads run), marking what it sees with a store round; a sweep then deletes what the round did not
 * see. Anything that changes during the load is in the delta link taken before it, so the next
 * incremental run misses nothing. An expired delta link (`deltaExpired`) means a new full load.
 */
import { removedReason } from "../directory/delta-items.ts";
import { GraphError } from "../errors.ts";
import { filterParam, isIn } from "../graph/odata-filter.ts";
import { parseUserCount } from "../graph/tenant-size.ts";
import type { GraphPage } from "../graph/types.ts";
import type { Deletion, PageInput, Relation, Resource, ResourceKind } from "../store/types.ts";
import { planStream, readPosition, type TrackedPosition, toCheckpoint } from "./checkpoint.ts";
import { commitPage, commitSweep, type StreamContext } from "./context.ts";
import { count, metered } from "./meter.ts";
import { prefetched } from "./prefetch.ts";
import { type RelatedRead, readRelated } from "./related.ts";

export type Raw = Record<string, unknown>;
export type PageContent = Pick<PageInput, "upserts" | "deletes" | "edges">;
export interface DeltaPageContent extends PageContent {
  /** Relationships re-read in full for these objects: what the page did not name is swept for them. */
  rescan?: { relations: Relation[]; objectIds: string[] };
}

export interface TrackedSpec {
  stream: string;
  kind: ResourceKind;
  /** Fingerprint of what is tracked ($select and options): a change starts a new full load. */
  select: string;
  listPath: string;
  deltaPath: string;
  /**
   * Soft-deleted objects of the kind (deleted items), with the properties `deletedResource` keeps:
   * listed by a full load, and read again by id for what a delta round reports soft-deleted.
   */
  deletedPath?: string;
  /** A deleted item as its tombstone keeps it; undefined: one the stream does not keep (its id alone is marked). */
  deletedResource?(raw: Raw): Resource | undefined;
  /** Relationships the full load re-lists, swept with the objects. */
  sweepRelations: Relation[];
  /** A list page's writes, in as many parts as suit it (per-object reads stream in as they complete). */
  listPage(values: Raw[], ctx: StreamContext): AsyncIterable<PageContent>;
  deltaPage(values: Raw[], ctx: StreamContext): Promise<DeltaPageContent>;
  /**
   * A relationship listed apart once the list pages are read (Graph expands one relationship per
   * request): read whole whenever a load reaches its end, since it keeps no position of its own.
   */
  afterList?(ctx: StreamContext): AsyncIterable<PageContent>;
  /**
   * Runs before an incremental round (a source read before the round, such as the audit log, whose
   * findings the round's own re-reads then cover), and after each complete one, for what no delta
   * reports (app role assignments).
   */
  beforeDelta?(ctx: StreamContext): Promise<void>;
  afterDelta?(ctx: StreamContext): Promise<void>;
  /**
   * Filtered lists that hold the collection once between them (src/sync/partitions.ts), read side by
   * side instead of the list's one chain of pages when the collection (`countPath`, text/plain) holds
   * at least `from` objects. The count is asked only when the first list page has a next one.
   */
  partitioned?: { countPath: string; paths: readonly string[]; from: number };
}

/** One entry per object, the last one a page reports (a delta round may report an object twice). */
export function lastById(values: readonly Raw[]): Raw[] {
  const byId = new Map<string, Raw>();
  for (const raw of values) {
    const id = String(raw["id"]);
    byId.delete(id);
    byId.set(id, raw);
  }
  return [...byId.values()];
}

/**
 * Rows per store call while loading. A list page of 999 groups carries ~100k memberships at xl;
 * committing it in parts keeps memory flat. Only the last part carries the checkpoint, so a crash in
 * between redoes the page — harmlessly, since the round's marks and the store's no-op re-apply make it
 * idempotent. Each commit rewrites the index pages its rows touched, so larger parts cost less CPU
 * (the store's thread also joins parts waiting together, see src/store/thread).
 */
const COMMIT_ROWS = 10_000;

/**
 * List pages requested ahead of the one being committed. The users chain is the longest of a full
 * load (100 pages at xl) and its commits queue at the store's thread behind a million memberships:
 * three pages of slack (about 6 MB) let it run at Graph's pace instead of the store's.
 */
const READ_AHEAD = 3;

/** Splits a page's writes into parts of at most `max` rows, in the order the store applies them. */
export function splitContent(content: PageContent, max: number): PageContent[] {
  type Slot = "deletes" | "upserts" | "remove" | "add";
  const sources: [Slot, readonly unknown[]][] = [
    ["deletes", content.deletes ?? []],
    ["upserts", content.upserts ?? []],
    ["remove", content.edges?.remove ?? []],
    ["add", content.edges?.add ?? []],
  ];
  const parts: PageContent[] = [];
  let part: PageContent = {};
  let room = max;
  const put = (slot: Slot, rows: unknown[]) => {
    if (slot === "deletes") part.deletes = rows as PageContent["deletes"];
    else if (slot === "upserts") part.upserts = rows as PageContent["upserts"];
    else part.edges = { ...part.edges, [slot]: rows };
  };
  for (const [slot, list] of sources) {
    for (let i = 0; i < list.length; ) {
      const take = Math.min(room, list.length - i);
      put(slot, list.slice(i, i + take));
      i += take;
      room -= take;
      if (room === 0) {
        parts.push(part);
        part = {};
        room = max;
      }
    }
  }
  if (room < max || parts.length === 0) parts.push(part);
  return parts;
}

/**
 * A delta page of one kind split into what is live and what was removed (as store deletions:
 * `@removed.reason` "changed" is a restorable soft delete). An object reported twice counts once, as last seen.
 */
export function splitRemoved(
  page: readonly Raw[],
  kind: ResourceKind,
): { live: Raw[]; deletes: { kind: ResourceKind; id: string; soft: boolean }[] } {
  const live: Raw[] = [];
  const deletes: { kind: ResourceKind; id: string; soft: boolean }[] = [];
  for (const raw of lastById(page)) {
    const reason = removedReason(raw);
    if (reason) deletes.push({ kind, id: String(raw["id"]), soft: reason === "changed" });
    else live.push(raw);
  }
  return { live, deletes };
}

export type TrackedOutcome = "full" | "incremental";

export async function runTracked(spec: TrackedSpec, ctx: StreamContext): Promise<TrackedOutcome> {
  const stored = await ctx.store.sync.checkpoint(spec.stream);
  const plan = planStream(readPosition(spec.stream, stored), spec.select, ctx.full, ctx.client.graphRoot);
  if (plan.action === "start-load" && plan.movedFrom !== undefined) {
    ctx.observer.warning?.(
      spec.stream,
      `the stored delta links are for ${plan.movedFrom}, not the configured Graph root ${ctx.client.graphRoot}: running a full resync that reconciles deletions`,
    );
  }
  if (plan.action === "delta") {
    try {
      await spec.beforeDelta?.(ctx);
      await followDelta(spec, ctx, plan.link);
      await spec.afterDelta?.(ctx);
      return "incremental";
    } catch (err) {
      if (!(err instanceof GraphError && err.deltaExpired)) throw err;
      ctx.observer.warning?.(
        spec.stream,
        "delta link expired: running a full resync that reconciles deletions",
      );
    }
  }
  const position = plan.action === "resume-load" ? plan.position : await startLoad(spec, ctx);
  await load(spec, ctx, position);
  return "full";
}

async function startLoad(
  spec: TrackedSpec,
  ctx: StreamContext,
): Promise<Extract<TrackedPosition, { phase: "load" }>> {
  ctx.observer.phase?.(spec.stream, "loading");
  const round = await ctx.store.sync.newRound();
  const deltaLink = await latestDeltaLink(spec, ctx);
  const position = { phase: "load" as const, select: spec.select, round, deltaLink, next: spec.listPath };
  await commitPage(ctx, { stream: spec.stream, checkpoint: toCheckpoint(position) });
  return position;
}

/** `$deltatoken=latest`: no objects, only a link from now (docs/graph.md#delta-queries). */
async function latestDeltaLink(spec: TrackedSpec, ctx: StreamContext): Promise<string> {
  const path = `${spec.deltaPath}${spec.deltaPath.includes("?") ? "&" : "?"}$deltatoken=latest`;
  for await (const page of metered(ctx.meter, path, ctx.client.delta<Raw>(path, { signal: ctx.signal }))) {
    if (page.deltaLink) return page.deltaLink;
  }
  throw new Error(`${spec.stream}: the delta round for $deltatoken=latest ended without a deltaLink`);
}

async function load(
  spec: TrackedSpec,
  ctx: StreamContext,
  start: Extract<TrackedPosition, { phase: "load" }>,
): Promise<void> {
  ctx.observer.phase?.(spec.stream, "loading");
  let position = start;
  if (position.next !== null) {
    try {
      position = await listFrom(spec, ctx, position, position.next);
    } catch (err) {
      // A saved skip token can expire while the process was down; the round's marks stay valid.
      if (!(err instanceof GraphError && err.graphCode === "Directory_ExpiredPageToken")) throw err;
      position = await listFrom(spec, ctx, position, spec.listPath);
    }
  }
  if (spec.afterList) {
    for await (const content of spec.afterList(ctx)) {
      for (const part of splitContent(content, COMMIT_ROWS)) {
        await commitPart(ctx, spec, position, part);
      }
    }
  }
  if (spec.deletedPath) await markDeleted(spec, ctx, position);
  ctx.observer.phase?.(spec.stream, "sweeping");
  await commitSweep(ctx, {
    stream: spec.stream,
    round: position.round,
    kinds: [spec.kind],
    relations: spec.sweepRelations,
    checkpoint: toCheckpoint({ phase: "delta", select: spec.select, link: position.deltaLink }),
  });
}

async function listFrom(
  spec: TrackedSpec,
  ctx: StreamContext,
  position: Extract<TrackedPosition, { phase: "load" }>,
  from: string,
  mayPartition = true,
): Promise<Extract<TrackedPosition, { phase: "load" }>> {
  let current = position;
  let rest = from;
  if (spec.partitioned && mayPartition && from === spec.listPath) {
    // The first page alone, unprefetched: when it is the only one, a small tenant pays nothing more.
    const pages = metered(ctx.meter, from, ctx.client.pages<Raw>(from, { signal: ctx.signal }));
    const iterator = pages[Symbol.asyncIterator]();
    const first = await iterator.next();
    await iterator.return(undefined);
    if (first.done) return { ...current, next: null };
    current = await commitListPage(spec, ctx, current, first.value);
    if (current.next === null) return current;
    const count = await countObjects(ctx, spec.partitioned.countPath);
    if (count !== undefined && count >= spec.partitioned.from) {
      return listPartitioned(spec, ctx, current, spec.partitioned, count);
    }
    rest = current.next;
  }
  const pages = prefetched(ctx.client.pages<Raw>(rest, { signal: ctx.signal }), READ_AHEAD);
  for await (const page of metered(ctx.meter, rest, pages)) {
    current = await commitListPage(spec, ctx, current, page);
  }
  return current;
}

/**
 * Commits one list page in parts, the last with the position after the page (none when `checkpoint`
 * is false: a partition's page says nothing about where the plain listing stands).
 */
async function commitListPage(
  spec: TrackedSpec,
  ctx: StreamContext,
  position: Extract<TrackedPosition, { phase: "load" }>,
  page: GraphPage<Raw>,
  checkpoint = true,
): Promise<Extract<TrackedPosition, { phase: "load" }>> {
  const current = checkpoint ? { ...position, next: page.nextLink ?? null } : position;
  // Each part is committed when the next one is ready; the last carries the checkpoint.
  let held: PageContent | undefined;
  for await (const content of spec.listPage(page.value, ctx)) {
    for (const part of splitContent(content, COMMIT_ROWS)) {
      if (held) await commitPart(ctx, spec, current, held);
      held = part;
    }
  }
  await commitPart(ctx, spec, current, held ?? {}, checkpoint ? toCheckpoint(current) : undefined);
  return current;
}

/**
 * Partitions read at once. Each holds one page at a time (no read-ahead), so the pages in memory stay
 * at this many; four read the xl tenant's users (~125 pages in 28 partitions) in about a quarter of
 * the one chain's time, which is no longer what a load waits for: the store's thread sets its pace.
 */
const PARTITION_READERS = 4;

/** A collection's `$count` (text/plain, `ConsistencyLevel: eventual`); undefined when Graph gives none. */
export async function countObjects(ctx: StreamContext, path: string): Promise<number | undefined> {
  count(ctx.meter, path);
  try {
    const res = await ctx.client.request<unknown>(path, {
      headers: { accept: "text/plain", ConsistencyLevel: "eventual" },
      signal: ctx.signal,
    });
    return parseUserCount(res);
  } catch (err) {
    // Counting is an optimisation: a refused count leaves the plain listing.
    if (err instanceof GraphError) return undefined;
    throw err;
  }
}

/**
 * Lists the partitions side by side in the load's round, then keeps the result only if the ids seen
 * match the counts before and after (src/sync/partitions.ts says why that makes it exactly once);
 * otherwise lists again unfiltered. A load interrupted meanwhile resumes unfiltered from the first
 * page's nextLink, the position last committed.
 */
async function listPartitioned(
  spec: TrackedSpec,
  ctx: StreamContext,
  position: Extract<TrackedPosition, { phase: "load" }>,
  partitioned: NonNullable<TrackedSpec["partitioned"]>,
  before: number,
): Promise<Extract<TrackedPosition, { phase: "load" }>> {
  const seen = new Set<string>();
  const stop = new AbortController();
  const signal = ctx.signal ? AbortSignal.any([ctx.signal, stop.signal]) : stop.signal;
  const queue = [...partitioned.paths];
  const reader = async () => {
    for (let path = queue.shift(); path !== undefined; path = queue.shift()) {
      for await (const page of metered(ctx.meter, path, ctx.client.pages<Raw>(path, { signal }))) {
        for (const raw of page.value) seen.add(String(raw["id"]));
        await commitListPage(spec, ctx, position, page, false);
      }
    }
  };
  let failure: { error: unknown } | undefined;
  await Promise.all(
    Array.from({ length: PARTITION_READERS }, () =>
      reader().catch((error: unknown) => {
        // The first failure fails the load: the other readers stop rather than read on for nothing.
        failure ??= { error };
        stop.abort();
      }),
    ),
  );
  if (failure) throw failure.error;
  const after = await countObjects(ctx, partitioned.countPath);
  if (seen.size === before && after === before) {
    const done = { ...position, next: null };
    await commitPart(ctx, spec, done, {}, toCheckpoint(done));
    return done;
  }
  ctx.observer.warning?.(
    spec.stream,
    `the partitioned listing saw ${seen.size} objects where Graph counted ${before} before and ${after ?? "none"} after (objects changed meanwhile): listing again unfiltered`,
  );
  return listFrom(spec, ctx, position, spec.listPath, false);
}

async function commitPart(
  ctx: StreamContext,
  spec: TrackedSpec,
  position: Extract<TrackedPosition, { phase: "load" }>,
  part: PageContent,
  checkpoint?: ReturnType<typeof toCheckpoint>,
): Promise<void> {
  await commitPage(ctx, {
    stream: spec.stream,
    round: position.round,
    ...part,
    ...(checkpoint ? { checkpoint } : {}),
  });
  // Store writes are synchronous: let other streams' answers in between parts.
  await new Promise((resolve) => setImmediate(resolve));
}

/**
 * Objects in deleted items are not listed, so the sweep would delete them outright; marking them
 * soft-deleted in the round keeps them as restorable tombstones, as a delta round would report them.
 * With their data: one deleted before the first sync is then kept too, not only one the store held.
 */
async function markDeleted(
  spec: TrackedSpec,
  ctx: StreamContext,
  position: Extract<TrackedPosition, { phase: "load" }>,
): Promise<void> {
  const path = spec.deletedPath as string;
  for await (const page of metered(ctx.meter, path, ctx.client.pages<Raw>(path, { signal: ctx.signal }))) {
    const deletes = page.value.map((raw) => deletion(spec, String(raw["id"]), raw));
    await commitPage(ctx, { stream: spec.stream, round: position.round, deletes });
  }
}

function deletion(spec: TrackedSpec, id: string, raw: Raw | undefined): Deletion {
  const kept = raw ? spec.deletedResource?.(raw) : undefined;
  return { kind: spec.kind, id, soft: true, ...(kept ? { data: kept.data } : {}) };
}

/**
 * A delta round says only that an object was soft-deleted. Its data is read again from deleted items:
 * it may have changed since the store last saw it (or the store never saw it, created and deleted
 * between two runs). One gone from deleted items again by then is marked by id; the next round says why.
 */
async function withDeletedData(
  spec: TrackedSpec,
  ctx: StreamContext,
  content: DeltaPageContent,
): Promise<DeltaPageContent> {
  const soft = (content.deletes ?? []).filter((d) => d.soft === true);
  if (!spec.deletedPath || !spec.deletedResource || soft.length === 0) return content;
  const base = spec.deletedPath;
  const raws = await readByIds(
    ctx,
    soft.map((d) => d.id),
    (filter) => `${base}&${filter}`,
  );
  const byId = new Map(raws.map((raw) => [String(raw["id"]), raw]));
  const deletes = (content.deletes ?? []).map((d) =>
    d.soft === true ? deletion(spec, d.id, byId.get(d.id)) : d,
  );
  return { ...content, deletes };
}

/** Ids per `$filter=id in (…)`: Graph takes 15 expressions in a filter clause by default. */
const IDS_PER_FILTER = 15;

/**
 * The objects of a collection with the given ids, `pathFor` given each `$filter=id in (…)`: fifteen
 * ids a read, twenty reads a `$batch`. Ids the collection no longer holds are simply not returned.
 */
export async function readByIds(
  ctx: StreamContext,
  ids: readonly string[],
  pathFor: (filter: string) => string,
): Promise<Raw[]> {
  const reads: RelatedRead[] = [];
  for (let i = 0; i < ids.length; i += IDS_PER_FILTER) {
    const chunk = ids.slice(i, i + IDS_PER_FILTER);
    reads.push({
      objectId: chunk[0] as string,
      name: "byIds",
      path: pathFor(filterParam(isIn("id", chunk))),
    });
  }
  const out: Raw[] = [];
  const options = { concurrency: ctx.concurrency, signal: ctx.signal };
  for await (const result of readRelated(ctx.client, reads, ctx.meter, options)) out.push(...result.items);
  return out;
}

async function followDelta(spec: TrackedSpec, ctx: StreamContext, link: string): Promise<void> {
  ctx.observer.phase?.(spec.stream, "incremental");
  let round: number | undefined;
  for await (const page of metered(
    ctx.meter,
    link,
    prefetched(ctx.client.delta<Raw>(link, { signal: ctx.signal })),
  )) {
    const content = await withDeletedData(spec, ctx, await spec.deltaPage(page.value, ctx));
    const checkpoint = toCheckpoint({ phase: "delta", select: spec.select, link: nextLinkOf(spec, page) });
    const { rescan, ...changes } = content;
    if (!rescan || rescan.objectIds.length === 0) {
      await commitPage(ctx, { stream: spec.stream, ...changes, checkpoint });
      continue;
    }
    round ??= await ctx.store.sync.newRound();
    await commitPage(ctx, { stream: spec.stream, round, ...changes });
    await commitSweep(ctx, {
      stream: spec.stream,
      round,
      relations: rescan.relations,
      objectIds: rescan.objectIds,
      checkpoint,
    });
  }
}

function nextLinkOf(spec: TrackedSpec, page: GraphPage<Raw>): string {
  const link = page.nextLink ?? page.deltaLink;
  if (!link) throw new Error(`${spec.stream}: a delta page carried neither a nextLink nor a deltaLink`);
  return link;
}
