import type { TenantModel } from "../../tenant/model.ts";
import type { ChangeEntry, ObjectKind } from "../../tenant/types.ts";
import type { DeltaKind } from "./token.ts";

export const MODEL_KIND: Record<DeltaKind, ObjectKind> = {
  users: "user",
  groups: "group",
  servicePrincipals: "servicePrincipal",
  applications: "application",
};

/** One membership change of a group, as the change log recorded it. */
export interface MemberChange {
  seq: number;
  ref: string;
  added: boolean;
}

/** A position in the index: `basePos` walks the seed snapshot, then `after` walks the changes. */
export interface Position {
  basePos: number | undefined;
  after: number;
}

/**
 * The change log re-shaped for delta paging of one kind. A round reports each object once, at its last
 * change before the round began, with the object's state when the page is built:
 * - `base`: the ids that existed (live or soft-deleted) when the index was seeded, in model order;
 * - `entries`: every change after the seed, in order, and per object the sequences of its changes.
 * A page is a scan from a position, O(page) however large the tenant.
 */
export class KindIndex {
  readonly base: readonly string[];
  readonly baseSeq: number;
  readonly #entries: { seq: number; id: string }[] = [];
  readonly #seqs = new Map<string, number[]>();
  readonly #propSeq = new Map<string, Map<string, number>>();
  /** When an object last came into existence (created or restored): all its properties are new then. */
  readonly #bornSeq = new Map<string, number>();
  readonly #memberLog = new Map<string, MemberChange[]>();
  /** Sorted member lists of recently paged groups, by the group's version (see `sortedMembers`). */
  readonly #sortedMembers = new Map<string, { version: number; ids: string[] }>();

  constructor(base: string[], baseSeq: number) {
    this.base = base;
    this.baseSeq = baseSeq;
  }

  apply(entry: ChangeEntry): void {
    this.#entries.push({ seq: entry.seq, id: entry.id });
    const seqs = this.#seqs.get(entry.id);
    if (seqs) seqs.push(entry.seq);
    else this.#seqs.set(entry.id, [entry.seq]);
    if (entry.op === "created" || entry.op === "restored") this.#bornSeq.set(entry.id, entry.seq);
    if (entry.props) {
      let props = this.#propSeq.get(entry.id);
      if (!props) {
        props = new Map();
        this.#propSeq.set(entry.id, props);
      }
      for (const prop of entry.props) props.set(prop, entry.seq);
    }
    if ((entry.op === "memberAdded" || entry.op === "memberRemoved") && entry.ref !== undefined) {
      let log = this.#memberLog.get(entry.id);
      if (!log) {
        log = [];
        this.#memberLog.set(entry.id, log);
      }
      log.push({ seq: entry.seq, ref: entry.ref, added: entry.op === "memberAdded" });
    }
  }

  /**
   * Visits, from `from`, each object whose last change at or before `upTo` lies ahead, in change order,
   * until `visit` returns false or `scanLimit` positions were looked at. Returns the position after the
   * last one looked at and whether the window (`upTo`) was exhausted.
   */
  scan(
    from: Position,
    upTo: number,
    scanLimit: number,
    visit: (id: string) => boolean,
  ): { position: Position; end: boolean } {
    let scanned = 0;
    let basePos = from.basePos;
    if (basePos !== undefined) {
      while (basePos < this.base.length) {
        if (scanned++ >= scanLimit) return { position: { basePos, after: from.after }, end: false };
        const id = this.base[basePos] as string;
        basePos += 1;
        // Changed before the round began: it is visited at that change instead.
        const first = this.#seqs.get(id)?.[0];
        if (first !== undefined && first <= upTo) continue;
        if (!visit(id)) return { position: { basePos, after: from.after }, end: false };
      }
    }
    let after = from.after;
    for (let i = this.#firstAfter(after); i < this.#entries.length; i++) {
      const entry = this.#entries[i] as { seq: number; id: string };
      if (entry.seq > upTo) break;
      if (scanned++ >= scanLimit) return { position: { basePos: undefined, after }, end: false };
      after = entry.seq;
      const next = nextAfter(this.#seqs.get(entry.id) as number[], entry.seq);
      if (next !== undefined && next <= upTo) continue;
      if (!visit(entry.id)) return { position: { basePos: undefined, after }, end: false };
    }
    return { position: { basePos: undefined, after }, end: true };
  }

  /**
   * Properties of `id` written after `since` (for `Prefer: return=minimal`); undefined when the object
   * was created or restored after `since`, so that every property is new to the client.
   */
  changedProps(id: string, since: number): Set<string> | undefined {
    if ((this.#bornSeq.get(id) ?? 0) > since) return undefined;
    const out = new Set<string>();
    const props = this.#propSeq.get(id);
    if (props) for (const [prop, seq] of props) if (seq > since) out.add(prop);
    return out;
  }

  /** The net membership change of a group after `since`: each member once, true when it ended added. */
  memberChanges(groupId: string, since: number): Map<string, boolean> {
    const net = new Map<string, boolean>();
    const log = this.#memberLog.get(groupId);
    if (!log) return net;
    for (let i = log.length - 1; i >= 0 && (log[i] as MemberChange).seq > since; i--) {
      const change = log[i] as MemberChange;
      if (!net.has(change.ref)) net.set(change.ref, change.added);
    }
    return net;
  }

  /**
   * A group's current member ids in sorted order, cached while the group is unchanged: a group of
   * 100k members split over 100 pages is sorted once, not once per page.
   */
  sortedMembers(groupId: string, current: () => Iterable<string>): string[] {
    const version = this.#seqs.get(groupId)?.at(-1) ?? this.baseSeq;
    const cached = this.#sortedMembers.get(groupId);
    if (cached && cached.version === version) return cached.ids;
    const ids = [...current()].sort();
    if (this.#sortedMembers.size >= 16)
      this.#sortedMembers.delete(this.#sortedMembers.keys().next().value as string);
    this.#sortedMembers.set(groupId, { version, ids });
    return ids;
  }

  #firstAfter(seq: number): number {
    let lo = 0;
    let hi = this.#entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.#entries[mid] as { seq: number }).seq <= seq) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** The first element of an ascending list above `seq` (usually the list's end: checked first). */
function nextAfter(seqs: number[], seq: number): number | undefined {
  const last = seqs[seqs.length - 1] as number;
  if (last <= seq) return undefined;
  let lo = 0;
  let hi = seqs.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((seqs[mid] as number) <= seq) lo = mid + 1;
    else hi = mid;
  }
  return seqs[lo];
}

let generations = 0;

/**
 * The delta view of one tenant model: a KindIndex per delta kind, fed lazily from the model's change log
 * (pulling only what was appended since the last request). `generation` identifies this index; tokens
 * from another generation (a reset tenant, or after "expire all") are refused.
 */
export class DeltaIndex {
  readonly model: TenantModel;
  generation = ++generations;
  readonly #kinds = new Map<DeltaKind, { index: KindIndex; pulled: number }>();

  constructor(model: TenantModel) {
    this.model = model;
  }

  /** The index of one kind, brought up to date with the model's change log. */
  of(kind: DeltaKind): KindIndex {
    const modelKind = MODEL_KIND[kind];
    let state = this.#kinds.get(kind);
    if (!state) {
      const seq = this.model.changes.seq;
      const base = this.model.list(modelKind).map((o) => o.id);
      for (const record of this.model.deletedItems(modelKind)) base.push(record.object.id);
      state = { index: new KindIndex(base, seq), pulled: seq };
      this.#kinds.set(kind, state);
    }
    if (this.model.changes.seq > state.pulled) {
      for (const entry of this.model.changes.since(modelKind, state.pulled)) state.index.apply(entry);
      state.pulled = this.model.changes.seq;
    }
    return state.index;
  }

  /** The tenant's current change sequence. */
  get seq(): number {
    return this.model.changes.seq;
  }

  /** Invalidates every token issued so far (the control API's "expire all delta tokens"). */
  expireAll(): void {
    this.generation = ++generations;
  }
}

const indexes = new WeakMap<TenantModel, DeltaIndex>();

/** The delta index of a model, created on first use. */
export function deltaIndexOf(model: TenantModel): DeltaIndex {
  let index = indexes.get(model);
  if (!index) {
    index = new DeltaIndex(model);
    indexes.set(model, index);
  }
  return index;
}
