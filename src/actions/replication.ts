import { createError } from "../errors.ts";
import { isNotFound } from "./refusals.ts";
import type { ActionContext } from "./types.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `attempt`, retrying a 404 while one of `ids` is an object this process created a moment ago: the
 * directory is eventually consistent, so a fresh object can be missing from reads and references
 * (docs/graph.md#replication-lag). Gives up after `ctx.replicationWaitMs` with REPLICATION_LAG; a 404 involving no
 * fresh object is passed through at once. Graph's 404 names the missing resource ("Resource '<id>' does
 * not exist…"): when it names one of `ids` that is not fresh (a member deleted meanwhile, say, while the
 * group is the fresh one), it is passed through too.
 */
export async function retryWhileReplicating<T>(
  ctx: ActionContext,
  kind: string,
  ids: string | readonly string[],
  attempt: () => Promise<T>,
): Promise<T> {
  const list = typeof ids === "string" ? [ids] : ids;
  const started = Date.now();
  let delay = 100;
  for (;;) {
    try {
      return await attempt();
    } catch (err) {
      if (!isNotFound(err)) throw err;
      const named = list.filter((id) => err.graphMessage.includes(id));
      const fresh = (named.length > 0 ? named : list).find((id) => ctx.recent.has(id));
      if (fresh === undefined) throw err;
      const waited = Date.now() - started;
      if (waited >= ctx.replicationWaitMs) {
        throw createError("REPLICATION_LAG", { kind, id: fresh, waitedMs: waited }, { cause: err });
      }
      await sleep(Math.min(delay, ctx.replicationWaitMs - waited));
      delay = Math.min(delay * 2, 1000);
    }
  }
}
