import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { collect, storeAdapters, storeWithRun } from "./test-support.ts";
import type { ChangeEvent, Edge, PageInput } from "./types.ts";

/** What a consumer of the outbox knows after applying events in order. */
interface Replica {
  users: Map<string, Record<string, unknown>>;
  members: Set<string>;
}

function applyEvent(replica: Replica, event: ChangeEvent): void {
  if (event.kind === "user" && (event.type === "created" || event.type === "updated")) {
    replica.users.set(event.resourceId, event.data);
  } else if (event.kind === "user" && event.type === "deleted") {
    replica.users.delete(event.resourceId);
  } else if (event.type === "added") {
    replica.members.add(`${event.resourceId}/${String(event.data.principalId)}`);
  } else if (event.type === "removed") {
    replica.members.delete(`${event.resourceId}/${String(event.data.principalId)}`);
  }
}

const userId = fc.constantFrom("u1", "u2", "u3", "u4");
const groupId = fc.constantFrom("g1", "g2");
const edge = fc.record({ group: groupId, user: userId }).map(
  ({ group, user }): Edge => ({
    relation: "group:member",
    objectId: group,
    principalId: user,
    principalType: "user",
  }),
);
const page = fc.record({
  upserts: fc.array(
    fc.record({ id: userId, department: fc.constantFrom("Sales", "Legal", null), enabled: fc.boolean() }),
    { maxLength: 3 },
  ),
  deletes: fc.array(fc.record({ id: userId, soft: fc.boolean() }), { maxLength: 2 }),
  add: fc.array(edge, { maxLength: 3 }),
  remove: fc.array(edge, { maxLength: 2 }),
});

for (const adapter of storeAdapters(import.meta.url)) {
  describe(`the outbox is a faithful change log (${adapter.name})`, () => {
    it("replaying every event from the start reproduces the store, and re-applied pages add none", async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(page, { minLength: 1, maxLength: 12 }), async (pages) => {
          const { store, runId } = await storeWithRun(adapter);
          const replica: Replica = { users: new Map(), members: new Set() };
          try {
            for (const p of pages) {
              const input: PageInput = {
                runId,
                stream: "prop",
                deletes: p.deletes.map((d) => ({ kind: "user" as const, id: d.id, soft: d.soft })),
                upserts: p.upserts.map((u) => ({
                  kind: "user" as const,
                  id: u.id,
                  data: { id: u.id, department: u.department, accountEnabled: u.enabled },
                })),
                edges: { add: p.add, remove: p.remove },
              };
              const result = await store.sync.applyPage(input);
              for (const event of result.events) applyEvent(replica, event);
              const again = await store.sync.applyPage(input);
              assert.deepEqual(again.events, [], "re-applying a page must emit nothing");
            }
            const users = await collect(store.query.export("users"));
            // Compare modulo absent-vs-null, which the store deliberately does not report.
            const normalise = (u: Record<string, unknown>) =>
              JSON.stringify({ ...u, department: u.department ?? null });
            assert.deepEqual([...replica.users.values()].map(normalise).sort(), users.map(normalise).sort());
            const members = (await collect(store.query.export("memberships"))).map(
              (m) => `${m.groupId}/${m.memberId}`,
            );
            assert.deepEqual([...replica.members].sort(), members.sort());
            const events = await store.outbox.read({ limit: 100_000 });
            assert.deepEqual(
              events.map((e) => e.seq),
              events.map((_, i) => i + 1),
              "seq is gap-free and ordered",
            );
          } finally {
            await store.close();
          }
        }),
        // Each run is a new store: a network round trip per call makes PostgreSQL's the slower half.
        { numRuns: adapter.name === "sqlite" ? 150 : 40 },
      );
    });
  });
}
