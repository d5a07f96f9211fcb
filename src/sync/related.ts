/**
 * Reading many small collections at once (the members of 50 groups as a filtered delta round, the
 * owners or assignments of an object whose expansion was cut, objects listed by id): twenty reads to
 * a `$batch`, several batches in flight (the client's limiter charges each what its reads cost), and
 * any read longer than one page followed by its nextLink on its own, so one large group's chain of
 * pages never holds up the other batches. A `$batch` saves round trips, not requests: Graph counts
 * each read it carries, so the streams choose reads that each bring as much as Graph allows.
 *
 * Results stream out as each collection completes, and reading pauses while the consumer is behind:
 * a page of groups whose members run to hundreds of thousands is never held in memory at once.
 */
import { GraphError } from "../errors.ts";
import type { BatchRequest, BatchResponse, GraphClient } from "../graph/types.ts";
import type { Edge } from "../store/types.ts";
import { countBatch, metered, type StreamMeter } from "./meter.ts";

export interface RelatedRead {
  /** The object the collection belongs to. */
  objectId: string;
  /** Which collection, e.g. "members". */
  name: string;
  /** Relative to the version root, e.g. `/groups/{id}/members?$select=id&$top=999`. */
  path: string;
  /**
   * Failures taken as answers: "missing" (404, the default: the object went between listing it and
   * reading its collection) and "denied" (403, e.g. PIM eligibility without an Entra ID P2 licence).
   */
  accept?: readonly ("missing" | "denied")[];
  /**
   * Hand each page on as it arrives (several results for one read) instead of the whole collection
   * once: for reads whose items stand alone, such as a filtered delta round's groups with members,
   * where one round may carry hundreds of thousands of memberships.
   */
  eachPage?: boolean;
}

export interface RelatedResult {
  read: RelatedRead;
  items: Record<string, unknown>[];
  /**
   * "missing": the object vanished between listing it and reading its collection (404), and the next
   * delta deletes it. "denied": the read answered 403. Only what the read `accept`s.
   */
  status: "read" | "missing" | "denied";
}

export interface RelatedOptions {
  /** `$batch` calls in flight. */
  concurrency: number;
  signal?: AbortSignal;
}

/** Reads a `$batch` carries at most. */
export const BATCH_SIZE = 20;
/**
 * Edges handed on at a time by `relatedEdges` during a load: one commit each. Each commit rewrites
 * the index pages its rows touched, so fewer, larger parts cost less CPU; 10,000 edges (~2 MB) keeps
 * memory flat.
 */
export const PART_ROWS = 10_000;
/**
 * Completed items waiting for the consumer before reading pauses: enough to keep the store's thread
 * supplied while Graph answers, few enough that a large load's peak memory stays flat.
 */
const BUFFERED_ITEMS = 10_000;

interface CollectionBody {
  value?: Record<string, unknown>[];
  "@odata.nextLink"?: string;
  error?: { code?: string; message?: string };
}

function batchItemError(read: RelatedRead, response: BatchResponse<CollectionBody>): GraphError {
  return new GraphError({
    code: response.status === 429 ? "GRAPH_THROTTLED" : "GRAPH_REQUEST_FAILED",
    status: response.status,
    graphCode: response.body?.error?.code ?? "unknown",
    graphMessage: response.body?.error?.message ?? `batch item answered ${response.status}`,
    requestId: response.headers["request-id"] ?? "",
    method: "GET",
    url: read.path,
  });
}

/** Every read's collection, yielded as it completes (in no particular order). */
export async function* readRelated(
  client: GraphClient,
  reads: readonly RelatedRead[],
  meter: StreamMeter,
  options: RelatedOptions,
): AsyncGenerator<RelatedResult> {
  const ready: RelatedResult[] = [];
  let buffered = 0;
  let failure: { error: unknown } | undefined;
  let pending = reads.length;
  let wake: (() => void) | undefined;
  let waitingForRoom: (() => void)[] = [];
  const notify = () => {
    wake?.();
    wake = undefined;
  };
  const makeRoom = () => {
    for (const go of waitingForRoom) go();
    waitingForRoom = [];
  };
  const tails = new Set<Promise<void>>();
  /** `partial`: one page of a read that goes on (`eachPage`); the read is pending until its last. */
  const deliver = (result: RelatedResult, partial = false) => {
    ready.push(result);
    buffered += weight(result);
    if (!partial) pending--;
    notify();
  };
  const fail = (error: unknown) => {
    failure ??= { error };
    notify();
    makeRoom();
  };
  const roomToRead = async () => {
    while (buffered > BUFFERED_ITEMS && !failure) await new Promise<void>((r) => waitingForRoom.push(r));
  };
  const background = (tail: Promise<RelatedResult>) => {
    const done = tail.then(deliver, fail).finally(() => tails.delete(done));
    tails.add(done);
  };

  let next = 0;
  const worker = async () => {
    while (!failure) {
      await roomToRead();
      // Checked after the wait: another worker may have taken the last reads meanwhile.
      if (next >= reads.length) return;
      const start = next;
      next = Math.min(next + BATCH_SIZE, reads.length);
      await readBatch(client, reads.slice(start, next), meter, options, {
        deliver,
        background,
        room: roomToRead,
      });
    }
  };
  const workers = Array.from({ length: Math.max(1, Math.min(options.concurrency, reads.length)) }, () =>
    worker().catch(fail),
  );
  try {
    while (pending > 0 || ready.length > 0) {
      if (failure) throw failure.error;
      const result = ready.shift();
      if (!result) {
        await new Promise<void>((r) => {
          wake = r;
        });
        continue;
      }
      buffered -= weight(result);
      if (buffered <= BUFFERED_ITEMS) makeRoom();
      yield result;
    }
    if (failure) throw failure.error;
  } finally {
    failure ??= { error: new Error("reading stopped") };
    makeRoom();
    await Promise.allSettled(workers);
    await Promise.allSettled([...tails]);
  }
}

/**
 * What a result holds towards the buffer's limit: its items, and for a page handed on alone the
 * lists its items carry (a delta page names few groups but up to a thousand members).
 */
function weight(result: RelatedResult): number {
  if (!result.read.eachPage) return result.items.length;
  let n = 0;
  for (const item of result.items) {
    n += 1;
    for (const value of Object.values(item)) if (Array.isArray(value)) n += value.length;
  }
  return n;
}

/** How an inner answer counts for a read; undefined: a failure. */
function outcomeOf(read: RelatedRead, status: number): RelatedResult["status"] | undefined {
  if (status >= 200 && status <= 299) return "read";
  const failure = status === 404 ? "missing" : status === 403 ? "denied" : undefined;
  return failure && (read.accept ?? ["missing"]).includes(failure) ? failure : undefined;
}

/** One `$batch` of up to twenty reads; a collection longer than a page is finished in the background. */
async function readBatch(
  client: GraphClient,
  reads: readonly RelatedRead[],
  meter: StreamMeter,
  options: RelatedOptions,
  out: {
    deliver: (result: RelatedResult, partial?: boolean) => void;
    background: (tail: Promise<RelatedResult>) => void;
    room: () => Promise<void>;
  },
): Promise<void> {
  const { deliver, background } = out;
  const requests: BatchRequest[] = reads.map((read, i) => ({ id: String(i), method: "GET", url: read.path }));
  countBatch(
    meter,
    reads.map((read) => read.path),
  );
  const responses = await client.batch<CollectionBody>(requests, { signal: options.signal });
  const answers = responses.map((response) => {
    const read = reads[Number(response.id)] as RelatedRead;
    return { read, response, status: outcomeOf(read, response.status) };
  });
  const failed = answers.find((a) => a.status === undefined);
  if (failed) throw batchItemError(failed.read, failed.response);
  for (const { read, response, status } of answers) {
    if (status !== "read") {
      deliver({ read, items: [], status: status as Exclude<RelatedResult["status"], "read"> });
      continue;
    }
    const items = [...(response.body?.value ?? [])];
    const nextLink = response.body?.["@odata.nextLink"];
    if (!nextLink) deliver({ read, items, status });
    else if (!read.eachPage) background(followNextLinks(client, read, nextLink, items, meter, options));
    else {
      deliver({ read, items, status }, true);
      const page = async (value: Record<string, unknown>[]) => {
        deliver({ read, items: value, status: "read" }, true);
        await out.room();
      };
      background(followNextLinks(client, read, nextLink, [], meter, options, page));
    }
  }
}

async function followNextLinks(
  client: GraphClient,
  read: RelatedRead,
  nextLink: string,
  items: Record<string, unknown>[],
  meter: StreamMeter,
  options: RelatedOptions,
  /** Set: each page goes here as it arrives and the result carries none. */
  onPage?: (items: Record<string, unknown>[]) => Promise<void>,
): Promise<RelatedResult> {
  const iterator = metered(
    meter,
    nextLink,
    client.pages<Record<string, unknown>>(nextLink, { signal: options.signal }),
  )[Symbol.asyncIterator]();
  for (;;) {
    const page = await iterator.next();
    if (page.done) return { read, items, status: "read" };
    if (onPage) await onPage(page.value.value);
    else items.push(...page.value.value);
  }
}

/** The edges the reads describe, in parts of about `partSize` (memory stays flat however large). */
export async function* relatedEdges(
  client: GraphClient,
  reads: readonly RelatedRead[],
  toEdges: (result: RelatedResult) => Edge[],
  meter: StreamMeter,
  options: RelatedOptions & { partSize: number },
): AsyncGenerator<Edge[]> {
  let part: Edge[] = [];
  for await (const result of readRelated(client, reads, meter, options)) {
    for (const edge of toEdges(result)) part.push(edge);
    if (part.length >= options.partSize) {
      yield part;
      part = [];
    }
  }
  if (part.length > 0) yield part;
}

/**
 * Items Graph puts in an expanded relationship at most, with no nextLink for the rest
 * (docs/graph.md#query-options). An expansion this long may be whole or cut; only a read can tell.
 */
export const EXPAND_CAP = 20;

/**
 * What objects listed with `$expand=<property>` say about that relationship: the edges of every
 * expansion shorter than the cap, and a read of the whole collection (`readOf`) for each object
 * whose expansion reached the cap or is absent.
 */
export function expanded(
  objects: readonly Record<string, unknown>[],
  property: string,
  toEdge: (objectId: string, item: Record<string, unknown>) => Edge,
  readOf: (objectId: string) => RelatedRead,
): { edges: Edge[]; reads: RelatedRead[] } {
  const edges: Edge[] = [];
  const reads: RelatedRead[] = [];
  for (const object of objects) {
    const id = String(object["id"]);
    const items = object[property];
    if (!Array.isArray(items) || items.length >= EXPAND_CAP) reads.push(readOf(id));
    else for (const item of items as Record<string, unknown>[]) edges.push(toEdge(id, item));
  }
  return { edges, reads };
}

/** All parts of an async generator of arrays, concatenated (for the small reads of a delta page). */
export async function collect<T>(parts: AsyncIterable<T[]>): Promise<T[]> {
  const out: T[] = [];
  for await (const part of parts) for (const item of part) out.push(item);
  return out;
}
