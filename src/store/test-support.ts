import { openStore } from "./open.ts";
import type { Edge, Store } from "./types.ts";

/** An in-memory store with one running full run, for tests. */
export async function storeWithRun(): Promise<{ store: Store; runId: string }> {
  const store = await openStore(":memory:");
  const run = await store.runs.start({ kind: "full", tenantId: "tenant-1" });
  return { store, runId: run.id };
}

export function user(
  id: string,
  extra: Record<string, unknown> = {},
): { kind: "user"; id: string; data: Record<string, unknown> } {
  return {
    kind: "user",
    id,
    data: { id, displayName: `User ${id}`, userPrincipalName: `${id}@contoso.com`, ...extra },
  };
}

export function group(
  id: string,
  extra: Record<string, unknown> = {},
): { kind: "group"; id: string; data: Record<string, unknown> } {
  return { kind: "group", id, data: { id, displayName: `Group ${id}`, ...extra } };
}

export function member(groupId: string, principalId: string, principalType = "user"): Edge {
  return { relation: "group:member", objectId: groupId, principalId, principalType };
}

export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}
