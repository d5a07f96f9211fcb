/**
 * Reading one small collection per object (group members and owners, an app's assignments and
 * owners) for a page of objects at once: twenty reads to a `$batch`, several batches in flight (the
 * client's shared limiter keeps them inside the RU budget), and any read longer than one page
 * followed by its nextLink. This is what makes a full load cost close to the fewest requests the data
 * allows instead of one round trip per group.
 */
import { GraphError } from "../errors.ts";
import type { BatchRequest, BatchResponse, GraphClient } from "../graph/types.ts";
import { count, estimateResourceUnits, type StreamMeter } from "./meter.ts";
import type { ReadPacer } from "./pacer.ts";

export interface RelatedRead {
  /** The object the collection belongs to. */
  objectId: string;
  /** Which collection, e.g. "members". */
  name: string;
  /** Relative to the version root, e.g. `/groups/{id}/members?$select=id&$top=999`. */
  path: string;
}

export interface RelatedResult {
  read: RelatedRead;
  items: Record<string, unknown>[];
  /** The object vanished between listing it and reading its collection (404): the next delta deletes it. */
  missing: boolean;
}

const BATCH_SIZE = 20;

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

interface CollectionBody {
  value?: Record<string, unknown>[];
  "@odata.nextLink"?: string;
  error?: { code?: string; message?: string };
}

export async function readRelated(
  client: GraphClient,
  reads: readonly RelatedRead[],
  meter: StreamMeter,
  options: { concurrency: number; pacer: ReadPacer; signal?: AbortSignal },
): Promise<RelatedResult[]> {
  const results: RelatedResult[] = new Array(reads.length);
  const chunks: number[] = [];
  for (let i = 0; i < reads.length; i += BATCH_SIZE) chunks.push(i);
  let nextChunk = 0;
  // Collections longer than a page continue by nextLink on their own, so a worker moves on to the
  // next batch instead of waiting for one large group's chain of pages.
  const tails: Promise<void>[] = [];
  const worker = async () => {
    while (nextChunk < chunks.length) {
      const start = chunks[nextChunk++] as number;
      const end = Math.min(start + BATCH_SIZE, reads.length);
      tails.push(...(await readChunk(client, reads, start, end, results, meter, options)));
    }
  };
  try {
    await Promise.all(
      Array.from({ length: Math.max(1, Math.min(options.concurrency, chunks.length)) }, worker),
    );
  } finally {
    // Every chain settles before the page is given up or returned; the first failure is the one thrown.
    const settled = await Promise.allSettled(tails);
    const failed = settled.find((r) => r.status === "rejected");
    if (failed) throw failed.reason;
  }
  return results;
}

async function readChunk(
  client: GraphClient,
  reads: readonly RelatedRead[],
  start: number,
  end: number,
  results: RelatedResult[],
  meter: StreamMeter,
  options: { pacer: ReadPacer; signal?: AbortSignal },
): Promise<Promise<void>[]> {
  const requests: BatchRequest[] = [];
  let ru = 0;
  for (let i = start; i < end; i++) {
    const read = reads[i] as RelatedRead;
    requests.push({ id: String(i), method: "GET", url: read.path });
    count(meter, read.path);
    ru += estimateResourceUnits(read.path);
  }
  await options.pacer.spend(ru, options.signal);
  meter.requests += 1; // the $batch envelope itself
  const responses = await client.batch<CollectionBody>(requests, { signal: options.signal });
  const failed = responses.find((r) => r.status !== 404 && (r.status < 200 || r.status > 299));
  if (failed) throw batchItemError(reads[Number(failed.id)] as RelatedRead, failed);
  const tails: Promise<void>[] = [];
  for (const response of responses) {
    const index = Number(response.id);
    const read = reads[index] as RelatedRead;
    if (response.status === 404) {
      results[index] = { read, items: [], missing: true };
      continue;
    }
    const items = [...(response.body?.value ?? [])];
    results[index] = { read, items, missing: false };
    const nextLink = response.body?.["@odata.nextLink"];
    if (nextLink) {
      tails.push(
        (async () => {
          const pages = client.pages<Record<string, unknown>>(nextLink, { signal: options.signal });
          const iterator = pages[Symbol.asyncIterator]();
          for (;;) {
            await options.pacer.spend(estimateResourceUnits(read.path), options.signal);
            const page = await iterator.next();
            if (page.done) break;
            count(meter, read.path);
            items.push(...page.value.value);
          }
        })(),
      );
    }
  }
  return tails;
}
