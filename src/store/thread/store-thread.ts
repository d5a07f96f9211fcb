/**
 * The store's own thread (a worker): holds the one SQLite connection and runs every store call it is
 * sent, in the order sent, so the main thread's event loop never waits on SQLite. See threaded-store.ts.
 */
import { parentPort, workerData } from "node:worker_threads";
import { silenceSqliteWarning } from "../../log/sqlite-warning.ts";
import type { SqliteStore } from "../sqlite/store.ts";
import type { PageInput, PageResult } from "../types.ts";
import { encodeError, type Part, type Reply, type Request, STREAM_CHUNK } from "./protocol.ts";

const port = parentPort;
if (!port) throw new Error("store-thread.ts runs as a worker (new ThreadedStore), not on its own");
const post = (reply: Reply) => port.postMessage(reply);

// The main thread has loaded node:sqlite already (and said so, unless it chose not to).
silenceSqliteWarning();
const { SqliteStore: Sqlite } = await import("../sqlite/store.ts");
let store: SqliteStore;
try {
  // A quarter of the default page cache: the edge table's own id cache answers most of a load's
  // dictionary lookups, and the cache fills early in a load and stays full, so each MB given here
  // is a MB of the sync's peak RSS (docs/performance.md#memory).
  store = new Sqlite((workerData as { path: string }).path, undefined, {
    cacheMb: 8,
    checkpointPages: 16_384,
  });
  post({ type: "ready" });
} catch (error) {
  post({ type: "open-failed", error: encodeError(error) });
  port.close();
}

const streams = new Map<number, AsyncIterator<unknown>>();

function target(part: Part, method: string): (...args: unknown[]) => unknown {
  const object = store[part] as unknown as Record<string, (...args: unknown[]) => unknown>;
  const fn = object[method];
  if (typeof fn !== "function") throw new Error(`store.${part}.${method} is not a store method`);
  return fn.bind(object);
}

async function handle(request: Request): Promise<void> {
  switch (request.type) {
    case "call":
      post({
        type: "result",
        id: request.id,
        value: await target(request.part, request.method)(...request.args),
      });
      return;
    case "stream": {
      const iterable = target(request.part, request.method)(...request.args) as AsyncIterable<unknown>;
      streams.set(request.id, iterable[Symbol.asyncIterator]());
      return next(request.id);
    }
    case "next":
      return next(request.id);
    case "return":
      await streams.get(request.id)?.return?.();
      streams.delete(request.id);
      return;
    case "close":
      for (const iterator of streams.values()) await iterator.return?.();
      streams.clear();
      await store.close();
      post({ type: "result", id: request.id, value: undefined });
      port?.close();
      return;
  }
}

async function next(id: number): Promise<void> {
  const iterator = streams.get(id);
  if (!iterator) throw new Error(`stream ${id} is not open`);
  const items: unknown[] = [];
  let done = false;
  while (items.length < STREAM_CHUNK) {
    const step = await iterator.next();
    if (step.done) {
      done = true;
      break;
    }
    items.push(step.value);
  }
  if (done) streams.delete(id);
  post({ type: "chunk", id, items, done });
}

/**
 * Rows a group commit may gather: enough for several streams' pages at once, little enough that the
 * write lock is never held long (another process, such as a CLI query, may want it).
 */
const GROUP_ROWS = 30_000;

const rowsOf = (page: PageInput) =>
  (page.upserts?.length ?? 0) +
  (page.deletes?.length ?? 0) +
  (page.edges?.add?.length ?? 0) +
  (page.edges?.remove?.length ?? 0);

const isPage = (request: Request | undefined): request is Request & { type: "call" } =>
  request?.type === "call" && request.part === "sync" && request.method === "applyPage";

/** The applyPage calls at the head of the inbox, up to GROUP_ROWS rows (at least one). */
function takePages(inbox: Request[]): (Request & { type: "call" })[] {
  const pages: (Request & { type: "call" })[] = [];
  let rows = 0;
  while (isPage(inbox[0])) {
    const page = inbox[0].args[0] as PageInput;
    if (pages.length > 0 && rows + rowsOf(page) > GROUP_ROWS) break;
    rows += rowsOf(page);
    pages.push(inbox.shift() as Request & { type: "call" });
  }
  return pages;
}

async function run(request: Request): Promise<void> {
  try {
    await handle(request);
  } catch (error) {
    if (request.type === "stream" || request.type === "next") streams.delete(request.id);
    post({ type: "error", id: request.id, error: encodeError(error) });
  }
}

/** Pages that waited together commit together; if that fails, each goes alone so only its own error shows. */
async function commitPages(requests: (Request & { type: "call" })[]): Promise<void> {
  let results: PageResult[];
  try {
    results = await store.sync.applyPages(requests.map((r) => r.args[0] as PageInput));
  } catch {
    for (const request of requests) await run(request);
    return;
  }
  requests.forEach((request, i) => {
    post({ type: "result", id: request.id, value: results[i] });
  });
}

// Calls run one at a time, in the order sent: the order they would have on one connection.
const inbox: Request[] = [];
let draining = false;

async function drain(): Promise<void> {
  draining = true;
  while (inbox.length > 0) {
    const pages = takePages(inbox);
    if (pages.length > 1) await commitPages(pages);
    else await run(pages[0] ?? (inbox.shift() as Request));
    // Lets the calls sent meanwhile arrive, so that pages waiting together commit together.
    await new Promise((resolve) => setImmediate(resolve));
  }
  draining = false;
}

port.on("message", (request: Request) => {
  inbox.push(request);
  if (!draining) void drain();
});
