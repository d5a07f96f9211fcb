/** The users stream: users, their licence assignments, and soft-deleted users kept as tombstones. */

import { SUBSCRIBED_SKUS_PATH } from "../../directory/licenses.ts";
import { chooseProperties, selectParam } from "../../directory/properties.ts";
import {
  assignedSkuIds,
  licenceEdges,
  USER_PROPERTIES,
  USER_REQUIRED,
  userResource,
} from "../../directory/users.ts";
import type { Edge, Resource } from "../../store/types.ts";
import type { StreamContext } from "../context.ts";
import { count } from "../meter.ts";
import type { SyncOptions } from "../options.ts";
import {
  type DeltaPageContent,
  type PageContent,
  type Raw,
  splitRemoved,
  type TrackedSpec,
} from "../tracked-stream.ts";

export function usersStream(options: SyncOptions): TrackedSpec {
  const props = chooseProperties(
    "--properties user",
    USER_PROPERTIES,
    options.properties?.user,
    USER_REQUIRED,
  );
  const licences = options.kinds.has("licenses");
  const select = selectParam(props);
  let allSkus: Promise<string[]> | undefined;

  const toPage = (values: Raw[]): { upserts: Resource[]; add: Edge[] } => {
    const upserts: Resource[] = [];
    const add: Edge[] = [];
    for (const raw of values) {
      upserts.push(userResource(raw, props));
      if (licences) add.push(...licenceEdges(String(raw["id"]), assignedSkuIds(raw)));
    }
    return { upserts, add };
  };

  return {
    stream: "users",
    kind: "user",
    select: licences ? `${select};licences` : select,
    listPath: `/users?$select=${select}&$top=999`,
    deltaPath: `/users/delta?$select=${select}`,
    deletedPath: "/directory/deletedItems/microsoft.graph.user?$select=id&$top=999",
    sweepRelations: licences ? ["license:assigned"] : [],

    async *listPage(values): AsyncGenerator<PageContent> {
      const { upserts, add } = toPage(values);
      yield { upserts, edges: { add } };
    },

    async deltaPage(page, ctx): Promise<DeltaPageContent> {
      const { live, deletes } = splitRemoved(page, "user");
      const { upserts, add } = toPage(live);
      // A changed user's licences are given in full: every other known SKU is removed (a no-op when not held).
      const remove: Edge[] = [];
      if (licences && live.length > 0) {
        allSkus ??= subscribedSkuIds(ctx);
        const skus = await allSkus;
        for (const raw of live) {
          const held = new Set(assignedSkuIds(raw));
          const gone = skus.filter((s) => !held.has(s));
          remove.push(...licenceEdges(String(raw["id"]), gone));
        }
      }
      return { upserts, deletes, edges: { add, remove } };
    },
  };
}

async function subscribedSkuIds(ctx: StreamContext): Promise<string[]> {
  const path = `${SUBSCRIBED_SKUS_PATH}?$select=skuId`;
  const ids = new Set<string>();
  for await (const page of ctx.client.pages<Raw>(path, { signal: ctx.signal })) {
    count(ctx.meter, path);
    for (const sku of page.value) if (typeof sku["skuId"] === "string") ids.add(sku["skuId"]);
  }
  for await (const licence of ctx.store.query.resources({ kind: "license" })) ids.add(licence.id);
  return [...ids];
}
