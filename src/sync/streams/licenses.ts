/** The licences stream: subscribed SKUs with seat counts (one request; assignments ride on users). */
import { SUBSCRIBED_SKUS_PATH, skuResource } from "../../directory/licenses.ts";
import { metered } from "../meter.ts";
import type { SnapshotSpec } from "../snapshot-stream.ts";
import type { Raw } from "../tracked-stream.ts";

export function licensesStream(): SnapshotSpec {
  return {
    stream: "licenses",
    kinds: ["license"],
    async *read(ctx) {
      const pages = ctx.client.pages<Raw>(SUBSCRIBED_SKUS_PATH, { signal: ctx.signal });
      for await (const page of metered(ctx.meter, SUBSCRIBED_SKUS_PATH, pages)) {
        yield { upserts: page.value.map(skuResource) };
      }
    },
  };
}
