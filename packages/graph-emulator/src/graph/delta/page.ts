import type { TenantModel } from "../../tenant/model.ts";
import type { GraphObject } from "../../tenant/types.ts";
import { type KindIndex, MODEL_KIND, type Position } from "./change-index.ts";
import type { DeltaState } from "./token.ts";

/** How an object's properties are chosen and ordered (from the OData resource tables). */
export interface DeltaShape {
  /** Properties returned without `$select`, in Graph's order. */
  defaultSelect: readonly string[];
  /** Users put `id` last, most other types first (docs/graph.md#response-shapes). */
  idPosition: "first" | "last" | "asListed";
}

export interface PageLimits {
  /** Objects per page (users delta pages have been observed to hold about 200). */
  objects: number;
  /** Member references per page: a larger group is split across consecutive pages. */
  members: number;
  /** Positions looked at per page; when filtered or superseded entries use it up, the page is short or empty. */
  scan: number;
}

export const DEFAULT_LIMITS: PageLimits = { objects: 200, members: 1000, scan: 4000 };

export interface DeltaPage {
  value: Record<string, unknown>[];
  /** The state behind `@odata.nextLink` (more pages follow) ... */
  next?: DeltaState;
  /** ... or behind `@odata.deltaLink` (the round is complete). */
  done?: DeltaState;
}

export interface PageContext {
  model: TenantModel;
  index: KindIndex;
  state: DeltaState;
  shape: DeltaShape;
  minimal: boolean;
  limits: PageLimits;
}

/**
 * Builds one page of a delta round. Pure apart from reading the model. A round reports the changes made
 * up to the moment it began (`state.start`), each object once with its state when the page is built;
 * changes landing while the round is paged are reported by the next round, so nothing is lost and a
 * round always ends however busy the tenant. Objects may be reported twice across rounds (Graph does
 * the same); clients apply them idempotently.
 */
export function buildDeltaPage(ctx: PageContext): DeltaPage {
  const { state, limits } = ctx;
  const value: Record<string, unknown>[] = [];
  let memberRoom = limits.members;
  let split: DeltaState["split"];

  const emit = (id: string, memberAfter?: string): boolean => {
    const rendered = renderEntry(ctx, id, memberAfter, memberRoom);
    if (!rendered) return true;
    value.push(rendered.item);
    memberRoom -= rendered.membersUsed;
    if (rendered.resumeAfter !== undefined) {
      split = { id, after: rendered.resumeAfter };
      return false;
    }
    return value.length < limits.objects && memberRoom > 0;
  };

  if (state.split && !emit(state.split.id, state.split.after)) {
    return { value, next: { ...state, split } };
  }

  // A full round filtered to a few ids reads those objects directly (basePos walks the id list)
  // instead of scanning the tenant.
  if (state.ids && state.since === 0 && state.basePos !== undefined) {
    let next = state.basePos;
    while (next < state.ids.length) {
      if (!emit(state.ids[next++] as string)) break;
    }
    if (next < state.ids.length || split) return { value, next: { ...state, basePos: next, split } };
    return { value, done: finished(ctx) };
  }

  const ids = state.ids ? new Set(state.ids) : undefined;
  const from: Position = { basePos: state.basePos, after: state.after };
  const { position, end } = ctx.index.scan(from, state.start, limits.scan, (id) =>
    ids && !ids.has(id) ? true : emit(id),
  );
  const advanced: DeltaState = { ...state, basePos: position.basePos, after: position.after, split };
  if (split) return { value, next: advanced };
  if (!end || value.length >= limits.objects || memberRoom <= 0) return { value, next: advanced };
  return { value, done: finished(ctx) };
}

/** The state of a full round's first page. */
export function firstRound(
  kind: DeltaState["kind"],
  options: { select: string[] | null; ids: string[] | null },
  index: KindIndex,
  seq: number,
  generation: number,
  now: number,
): DeltaState {
  return {
    kind,
    ...options,
    since: 0,
    start: seq,
    basePos: 0,
    after: index.baseSeq,
    issuedAt: now,
    generation,
  };
}

/** The state of the first page of a round started from a deltaLink. */
export function roundFromLink(link: DeltaState, seq: number, now: number): DeltaState {
  return { ...link, start: seq, basePos: undefined, after: link.since, split: undefined, issuedAt: now };
}

/** The state a deltaLink carries: the next round reports what changed after this round began. */
function finished(ctx: PageContext): DeltaState {
  const { state } = ctx;
  return {
    kind: state.kind,
    select: state.select,
    ids: state.ids,
    since: state.start,
    start: state.start,
    after: state.start,
    issuedAt: state.issuedAt,
    generation: state.generation,
  };
}

interface Rendered {
  item: Record<string, unknown>;
  membersUsed: number;
  /** Set when the member list did not fit: the last member id sent, the next page resumes after it. */
  resumeAfter?: string;
}

function renderEntry(
  ctx: PageContext,
  id: string,
  memberAfter: string | undefined,
  memberRoom: number,
): Rendered | undefined {
  const { model, state } = ctx;
  const kind = MODEL_KIND[state.kind];
  const object = model.get(kind, id);
  if (!object) {
    // A full round lists what exists; soft-deleted objects are listed as removed (restorable).
    if (model.getDeleted(id)?.kind === kind)
      return { item: { id, "@removed": { reason: "changed" } }, membersUsed: 0 };
    if (state.since === 0) return undefined;
    return { item: { id, "@removed": { reason: "deleted" } }, membersUsed: 0 };
  }
  const continuing = memberAfter !== undefined;
  const item: Record<string, unknown> = continuing ? { id } : project(ctx, object);
  if (state.kind !== "groups" || !tracksMembers(state.select)) return { item, membersUsed: 0 };

  const { refs, more } = memberDelta(ctx, id, memberAfter, Math.max(1, memberRoom));
  if (refs.length === 0) return continuing ? undefined : { item, membersUsed: 0 };
  item["members@delta"] = refs;
  const rendered: Rendered = { item, membersUsed: refs.length };
  if (more) rendered.resumeAfter = (refs[refs.length - 1] as { id: string }).id;
  return rendered;
}

/** Groups delta reports members unless a `$select` leaves them out. */
function tracksMembers(select: string[] | null): boolean {
  return select === null || select.includes("members");
}

/**
 * A group's members@delta, ordered by member id so that a list split across pages resumes exactly
 * where it stopped even if members come and go meanwhile (those changes go to the next round): in a
 * full round every current member; in a later round the net change since the token, each member once
 * with its final state.
 */
function memberDelta(
  ctx: PageContext,
  groupId: string,
  after: string | undefined,
  room: number,
): { refs: Record<string, unknown>[]; more: boolean } {
  const { model, index, state } = ctx;
  const current = model.membersOf(groupId);
  let ids: string[];
  if (state.since === 0) {
    ids = index.sortedMembers(groupId, () => current);
  } else {
    ids = [...index.memberChanges(groupId, state.since).keys()].sort();
  }
  const start = after === undefined ? 0 : firstAbove(ids, after);
  const slice = ids.slice(start, start + room);
  return {
    refs: slice.map((memberId) =>
      current.has(memberId) ? memberRef(model, memberId) : removedRef(model, memberId),
    ),
    more: start + slice.length < ids.length,
  };
}

/** Index of the first element of a sorted list greater than `value`. */
function firstAbove(sorted: string[], value: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as string) <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const ODATA_TYPE: Record<string, string> = {
  user: "#microsoft.graph.user",
  group: "#microsoft.graph.group",
  servicePrincipal: "#microsoft.graph.servicePrincipal",
};

function memberRef(model: TenantModel, id: string): Record<string, unknown> {
  const principal = model.getPrincipal(id);
  return principal ? { "@odata.type": ODATA_TYPE[principal.kind], id } : { id };
}

function removedRef(model: TenantModel, id: string): Record<string, unknown> {
  const kind = model.getPrincipal(id)?.kind ?? model.getDeleted(id)?.kind;
  const type = kind === undefined ? undefined : ODATA_TYPE[kind];
  const ref: Record<string, unknown> = type ? { "@odata.type": type, id } : { id };
  ref["@removed"] = { reason: "deleted" };
  return ref;
}

/**
 * The object's tracked properties. Delta answers leave out null scalars and empty collections; with
 * `Prefer: return=minimal` a later round sends only the properties written since the token.
 */
function project(ctx: PageContext, object: GraphObject): Record<string, unknown> {
  const { state, shape } = ctx;
  const wanted = (state.select ?? shape.defaultSelect).filter((p) => p !== "members" && p !== "id");
  const changed = ctx.minimal && state.since > 0 ? ctx.index.changedProps(object.id, state.since) : undefined;
  const out: Record<string, unknown> = {};
  if (shape.idPosition === "first") out["id"] = object.id;
  for (const prop of wanted) {
    if (changed && !changed.has(prop)) continue;
    const value = object[prop];
    const unset = value === undefined || value === null || (Array.isArray(value) && value.length === 0);
    // A property cleared since the token must still be visible in a minimal answer.
    if (unset && changed) out[prop] = null;
    else if (!unset) out[prop] = value;
  }
  if (shape.idPosition !== "first") out["id"] = object.id;
  return out;
}
