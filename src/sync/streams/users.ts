/**
 * The users stream: users with their manager's id, their licence assignments, and soft-deleted users
 * kept as tombstones.
 *
 * The full load lists users with `$expand=manager($select=id)`. Delta cannot expand (docs/graph.md#delta-queries),
 * but a manager change is recorded on the user, so the user appears in the round: the managers of
 * the users a delta page reports are read again, fifteen users to a filtered list read, batched.
 * (Graph documents a known issue: `$expand` on directory objects pages at most 100 objects, so in a
 * real tenant the full list may run to ten times the pages the 999 asked for; the emulator's
 * `expandPageCap` knob models it, and `npm run bench -- --expand-page-cap 100` measures it.)
 */

import { SUBSCRIBED_SKUS_PATH } from "../../directory/licenses.ts";
import { chooseProperties, selectParam } from "../../directory/properties.ts";
import {
  assignedSkuIds,
  licenceEdges,
  MANAGER_EXPAND,
  managerIdOf,
  USER_PROPERTIES,
  USER_REQUIRED,
  userResource,
} from "../../directory/users.ts";
import type { Edge, Resource } from "../../store/types.ts";
import type { StreamContext } from "../context.ts";
import { metered } from "../meter.ts";
import type { SyncOptions } from "../options.ts";
import { PARTITION_USERS_FROM, partitionFilter, UPN_PARTITIONS } from "../partitions.ts";
import {
  type DeltaPageContent,
  type PageContent,
  type Raw,
  readByIds,
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

  /** `managers`: each user's manager id when read apart (a user it lacks went meanwhile: none). */
  const toPage = (
    values: Raw[],
    managers?: Map<string, string | null>,
  ): { upserts: Resource[]; add: Edge[] } => {
    const upserts: Resource[] = [];
    const add: Edge[] = [];
    for (const raw of values) {
      const id = String(raw["id"]);
      const managerId = managers ? (managers.get(id) ?? null) : managerIdOf(raw);
      upserts.push(userResource(raw, props, managerId));
      if (licences) add.push(...licenceEdges(id, assignedSkuIds(raw)));
    }
    return { upserts, add };
  };

  return {
    stream: "users",
    kind: "user",
    // `;manager`: stores loaded before users carried their manager load again to learn it.
    select: `${select};manager${licences ? ";licences" : ""}`,
    listPath: `/users?$select=${select}&$top=999&${MANAGER_EXPAND}`,
    partitioned: {
      countPath: "/users/$count",
      paths: UPN_PARTITIONS.map(
        (chars) => `/users?${partitionFilter(chars)}&$select=${select}&$top=999&${MANAGER_EXPAND}`,
      ),
      from: options.partitionUsersFrom ?? PARTITION_USERS_FROM,
    },
    deltaPath: `/users/delta?$select=${select}`,
    deletedPath: `/directory/deletedItems/microsoft.graph.user?$select=${select}&$top=999`,
    // Deleted items are read without managers: a tombstone keeps none (the emulator, too, cuts a
    // deleted user's manager link).
    deletedResource: (raw) => userResource(raw, props, null),
    sweepRelations: licences ? ["license:assigned"] : [],

    async *listPage(values): AsyncGenerator<PageContent> {
      const { upserts, add } = toPage(values);
      yield { upserts, edges: { add } };
    },

    async deltaPage(page, ctx): Promise<DeltaPageContent> {
      const { live, deletes } = splitRemoved(page, "user");
      const ids = live.map((raw) => String(raw["id"]));
      const withManagers = await readByIds(
        ctx,
        ids,
        (filter) => `/users?${filter}&$select=id&${MANAGER_EXPAND}`,
      );
      const managers = new Map(withManagers.map((raw) => [String(raw["id"]), managerIdOf(raw)]));
      const { upserts, add } = toPage(live, managers);
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
  for await (const page of metered(ctx.meter, path, ctx.client.pages<Raw>(path, { signal: ctx.signal }))) {
    for (const sku of page.value) if (typeof sku["skuId"] === "string") ids.add(sku["skuId"]);
  }
  for await (const licence of ctx.store.query.resources({ kind: "license" })) ids.add(licence.id);
  return [...ids];
}
