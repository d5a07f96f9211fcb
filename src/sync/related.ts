/**
 * Reading one small collection per object (group members and owners, an app's assignments and
 * owners) for a page of objects at once: twenty reads to a `$batch`, several batches in flight (the
 * client's shared limiter keeps them inside the RU budget), and any read longer than one page
 * followed by its nextLink. This is what makes a full load cost close to the fewest requests the data
 * allows instead of one round trip per group.
 */
import { GraphError } from "../errors.ts";
import type { BatchRequest, GraphClient } from "../graph/types.ts";
import { count, type StreamMeter } from "./meter.ts";

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

interface CollectionBody {
  value?: Record<string, unknown>[];
  "@odata.nextLink"?: string;
  error?: { code?: string; message?: string };
}

export async function readRelated(
  client: GraphClient,
  reads: readonly RelatedRead[],
  meter: StreamMeter,
  options: { concurrency: number; signal?: AbortSignal },
): Promise<RelatedResult[]> {
  const results: RelatedResult[] = new Array(reads.length);
  const chunks: number[] = [];
  for (let i = 0; i < reads.length; i += BATCH_SIZE) chunks.push(i);
  let nextChunk = 0;
  const worker = async () => {
    while (nextChunk < chunks.length) {
      const start = chunks[nextChunk++] as number;
      await readChunk(
        client,
        reads,
        start,
        Math.min(start + BATCH_SIZE, reads.length),
        results,
        meter,
        options,
      );
    }
  };
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(options.concurrency, chunks.length)) }, worker),
  );
  return results;
}

async function readChunk(
  client: GraphClient,
  reads: readonly RelatedRead[],
  start: number,
  end: number,
  results: RelatedResult[],
  meter: StreamMeter,
  options: { signal?: AbortSignal },
): Promise<void> {
  const requests: BatchRequest[] = [];
  for (let i = start; i < end; i++) {
    const read = reads[i] as RelatedRead;
    requests.push({ id: String(i), method: "GET", url: read.path });
    count(meter, read.path);
  }
  meter.requests += 1; // the $batch envelope itself
  const responses = await client.batch<CollectionBody>(requests, { signal: options.signal });
  for (const response of responses) {
    const index = Number(response.id);
    const read = reads[index] as RelatedRead;
    if (response.status === 404) {
      results[index] = { read, items: [], missing: true };
      continue;
    }
    if (response.status < 200 || response.status > 299) {
      throw new GraphError({
        code: response.status === 429 ? "GRAPH_THROTTLED" : "GRAPH_REQUEST_FAILED",
        status: response.status,
        graphCode: response.body?.error?.code ?? "unknown",
        graphMessage: response.body?.error?.message ?? `batch item answered ${response.status}`,
        requestId: response.headers["request-id"] ?? "",
        method: "GET",
        url: read.path,
      });
    }
    const items = [...(response.body?.value ?? [])];
    const nextLink = response.body?.["@odata.nextLink"];
    if (nextLink) {
      for await (const page of client.pages<Record<string, unknown>>(nextLink, { signal: options.signal })) {
        count(meter, read.path);
        items.push(...page.value);
      }
    }
    results[index] = { read, items, missing: false };
  }
}
