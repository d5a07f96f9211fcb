/**
 * Test support: a client-side replica that applies delta pages the way a sync client must, so tests
 * can check that following nextLinks and deltaLinks ends with exactly the tenant's state.
 */

export type DeltaItem = Record<string, unknown> & { id: string };
export type DeltaPage = { value: DeltaItem[]; "@odata.nextLink"?: string; "@odata.deltaLink"?: string };

export interface Replica {
  objects: Map<string, DeltaItem>;
  members: Map<string, Set<string>>;
}

export function newReplica(): Replica {
  return { objects: new Map(), members: new Map() };
}

/**
 * Applies one page. `minimal` (Prefer: return=minimal): items carry only changed properties, so they
 * merge into what the replica holds; otherwise an item replaces it (absent properties are null).
 */
export function applyDelta(replica: Replica, items: readonly DeltaItem[], minimal = false): void {
  for (const item of items) {
    if (item["@removed"]) {
      replica.objects.delete(item.id);
      replica.members.delete(item.id);
      continue;
    }
    const { "members@delta": delta, ...props } = item;
    // A group split across pages repeats with only its id and the next slice of members.
    const previous = replica.objects.get(item.id);
    if (minimal && previous) replica.objects.set(item.id, { ...previous, ...props } as DeltaItem);
    else if (Object.keys(props).length > 1 || !previous) replica.objects.set(item.id, props as DeltaItem);
    const set = replica.members.get(item.id) ?? new Set<string>();
    replica.members.set(item.id, set);
    for (const ref of (delta as DeltaItem[] | undefined) ?? []) {
      if (ref["@removed"]) set.delete(ref.id);
      else set.add(ref.id);
    }
  }
}
