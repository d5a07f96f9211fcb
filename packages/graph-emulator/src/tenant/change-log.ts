import type { ChangeEntry, ChangeOp, ObjectKind } from "./types.ts";

/**
 * The tenant's change sequence and one append-only log per object kind. The delta engine reads
 * `since(kind, seq)`; `seq` only grows, so a token holding a sequence number sees every later change
 * exactly once, however many changes land while a delta round is being paged.
 */
export class ChangeLog {
  #seq = 0;
  readonly #byKind = new Map<ObjectKind, ChangeEntry[]>();
  #paused = false;

  /** The sequence number of the latest change (0 before any). */
  get seq(): number {
    return this.#seq;
  }

  record(
    kind: ObjectKind,
    id: string,
    op: ChangeOp,
    extra?: { ref?: string; props?: string[] },
  ): ChangeEntry {
    this.#seq += 1;
    const entry: ChangeEntry = { seq: this.#seq, kind, id, op };
    if (extra?.ref !== undefined) entry.ref = extra.ref;
    if (extra?.props !== undefined) entry.props = extra.props;
    if (this.#paused) return entry;
    let list = this.#byKind.get(kind);
    if (!list) {
      list = [];
      this.#byKind.set(kind, list);
    }
    list.push(entry);
    return entry;
  }

  /** Entries of `kind` with seq > `afterSeq`, oldest first. */
  since(kind: ObjectKind, afterSeq: number): ChangeEntry[] {
    const list = this.#byKind.get(kind);
    if (!list || list.length === 0) return [];
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((list[mid] as ChangeEntry).seq <= afterSeq) lo = mid + 1;
      else hi = mid;
    }
    return list.slice(lo);
  }

  /**
   * Runs `load` without keeping entries: the generator builds the initial tenant this way, because a
   * delta round starting from nothing reads current state, not history (and a million membership
   * entries would cost more memory than the memberships themselves).
   */
  unlogged<T>(load: () => T): T {
    this.#paused = true;
    try {
      return load();
    } finally {
      this.#paused = false;
    }
  }

  /** Forget everything (used by reset: a new tenant starts a new history). */
  clear(): void {
    this.#byKind.clear();
  }
}
