/**
 * Syncing one user now, without a whole run over the tenant: the user (by id or principal name) read
 * again from Graph with its manager, its direct group memberships, its licences and its directory
 * roles (active and PIM-eligible), and applied to the store as one page: one transaction, with the
 * change events of exactly what differed. The delta links are left alone: the next incremental sync
 * sees the user again and finds nothing new.
 *
 * Only what the store already syncs is touched: memberships when it holds groups, licences when it
 * holds SKUs, roles when it holds role definitions (a membership of a group the store does not hold —
 * an on-premises group left out — is not added).
 */

import { chooseProperties, selectParam } from "../directory/properties.ts";
import {
  activeAssignmentEdge,
  eligibilityEdge,
  ROLE_ASSIGNMENTS_PATH,
  ROLE_ELIGIBILITY_PATH,
} from "../directory/roles.ts";
import {
  assignedSkuIds,
  licenceEdges,
  MANAGER_EXPAND,
  managerIdOf,
  USER_PROPERTIES,
  USER_REQUIRED,
  userResource,
} from "../directory/users.ts";
import { createError, GraphError } from "../errors.ts";
import type { GraphClient } from "../graph/types.ts";
import type { ChangeEvent, Edge, Relation, ResourceKind, RunRecord, Store } from "../store/types.ts";
import type { PropertySelection } from "./options.ts";
import type { Raw } from "./tracked-stream.ts";

export interface SyncUserInput {
  client: GraphClient;
  store: Store;
  tenantId: string;
  /** The user's object id or userPrincipalName. */
  ref: string;
  properties?: PropertySelection;
  signal?: AbortSignal;
}

export interface SyncUserResult {
  userId: string;
  /** The run the page was recorded under (kind `incremental`, one stream `users`). */
  run: RunRecord;
  /** What changed, in outbox order; empty when the store already matched Graph. */
  changes: ChangeEvent[];
}

/** The relations a user holds that this reads again, and the kind of object each points at. */
const MANAGED: readonly { relation: Relation; kind: ResourceKind }[] = [
  { relation: "group:member", kind: "group" },
  { relation: "license:assigned", kind: "license" },
  { relation: "role:assigned", kind: "role" },
  { relation: "role:eligible", kind: "role" },
];

/**
 * @example
 *   const { changes } = await syncUser({ client, store, tenantId, ref: "ann@contoso.com" });
 */
export async function syncUser(input: SyncUserInput): Promise<SyncUserResult> {
  const { client, store, signal } = input;
  const props = chooseProperties("--properties user", USER_PROPERTIES, input.properties?.user, USER_REQUIRED);
  const raw = await readUser(client, input.ref, `$select=${selectParam(props)}&${MANAGER_EXPAND}`, signal);
  const userId = String(raw["id"]);
  const held = new Map<Relation, Edge[] | undefined>();
  const synced = async (kind: ResourceKind) => {
    for await (const _ of store.query.resources({ kind, limit: 1 })) return true;
    return false;
  };

  if (await synced("group")) {
    const groups: Edge[] = [];
    const path = `/users/${encodeURIComponent(userId)}/memberOf/microsoft.graph.group?$select=id&$top=999`;
    for await (const page of client.pages<Raw>(path, signal ? { signal } : {})) {
      for (const g of page.value) {
        const groupId = String(g["id"]);
        // Only groups the store holds: one it left out (on-premises) has no members there either.
        if ((await store.query.resolve(groupId, "group")) === undefined) continue;
        groups.push({
          relation: "group:member",
          objectId: groupId,
          principalId: userId,
          principalType: "user",
        });
      }
    }
    held.set("group:member", groups);
  }
  if (await synced("license")) held.set("license:assigned", licenceEdges(userId, assignedSkuIds(raw)));
  if (await synced("role")) {
    const filter = `$filter=${encodeURIComponent(`principalId eq '${userId}'`)}`;
    held.set(
      "role:assigned",
      (await readAll(client, `${ROLE_ASSIGNMENTS_PATH}&${filter}`, signal))!.map((a) =>
        activeAssignmentEdge(a, "user"),
      ),
    );
    // Without P2 eligibility cannot be read: what the store holds of it stays as it is.
    const eligible = await readAll(client, `${ROLE_ELIGIBILITY_PATH}?${filter}`, signal, true);
    if (eligible)
      held.set(
        "role:eligible",
        eligible.map((e) => eligibilityEdge(e, "user")),
      );
  }

  const add: Edge[] = [];
  const remove: Edge[] = [];
  const stored = (await store.query.grants({ principalId: userId })).filter((g) => g.path.how === "direct");
  for (const { relation } of MANAGED) {
    const now = held.get(relation);
    if (now === undefined) continue;
    add.push(...now);
    const keep = new Set(now.map((e) => `${e.objectId}\n${e.qualifier ?? ""}`));
    for (const g of stored) {
      if (g.relation === relation && !keep.has(`${g.objectId}\n${g.qualifier}`)) {
        remove.push({ relation, objectId: g.objectId, principalId: userId, qualifier: g.qualifier });
      }
    }
  }

  const run = await store.runs.start({ kind: "incremental", tenantId: input.tenantId, streams: ["users"] });
  try {
    const page = await store.sync.applyPage({
      runId: run.id,
      stream: "users",
      upserts: [userResource(raw, props, managerIdOf(raw))],
      edges: { add, remove },
    });
    return { userId, run: await store.runs.finish(run.id, { status: "succeeded" }), changes: page.events };
  } catch (err) {
    await store.runs.finish(run.id, { status: "failed", error: (err as Error).message });
    throw err;
  }
}

async function readUser(client: GraphClient, ref: string, query: string, signal?: AbortSignal): Promise<Raw> {
  try {
    return await client.get<Raw>(`/users/${encodeURIComponent(ref)}?${query}`, signal ? { signal } : {});
  } catch (err) {
    if (err instanceof GraphError && err.httpStatus === 404) {
      throw createError("OBJECT_NOT_FOUND", { kind: "user", ref }, { cause: err });
    }
    throw err;
  }
}

/** Every item of a listing; undefined when `deniedIsEmpty` and Graph answers 403. */
async function readAll(
  client: GraphClient,
  path: string,
  signal: AbortSignal | undefined,
  denied = false,
): Promise<Raw[] | undefined> {
  const items: Raw[] = [];
  try {
    for await (const page of client.pages<Raw>(path, signal ? { signal } : {})) items.push(...page.value);
  } catch (err) {
    if (denied && err instanceof GraphError && err.httpStatus === 403) return undefined;
    throw err;
  }
  return items;
}
