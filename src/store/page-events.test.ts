import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { group, member, storeAdapters, storeWithRun, user } from "./test-support.ts";

for (const adapter of storeAdapters(import.meta.url)) {
  describe(`a page committed without its events in the result (${adapter.name})`, () => {
    it("counts them and writes them to the outbox as a page that returns them does", async () => {
      const { store, runId } = await storeWithRun(adapter);
      try {
        const page = (id: string) => ({
          runId,
          stream: "groups",
          upserts: [user(`u${id}`), group(`g${id}`)],
          edges: { add: [member(`g${id}`, `u${id}`)] },
        });
        const quiet = await store.sync.applyPage({ ...page("1"), returnEvents: false });
        const full = await store.sync.applyPage(page("2"));
        assert.deepEqual([quiet.events, quiet.changes, quiet.objects], [[], 3, 3]);
        assert.equal(full.changes, 3);
        const outbox = await store.outbox.read({});
        assert.deepEqual(
          outbox.map((e) => [e.type, e.kind, e.resourceId]),
          [
            ["created", "user", "u1"],
            ["created", "group", "g1"],
            ["added", "group", "g1"],
            ["created", "user", "u2"],
            ["created", "group", "g2"],
            ["added", "group", "g2"],
          ],
        );
        assert.deepEqual(outbox.slice(3), full.events);
        assert.equal((await store.runs.get(runId))?.stats["groups"]?.changes, 6);
      } finally {
        await store.close();
      }
    });
  });
}
