/**
 * The roles stream: role definitions (the `role` resources; a definition's id is what assignments
 * name), active assignments, and PIM eligibility — which answers 403 without an Entra ID P2 licence:
 * reported once as a warning and skipped (its relations are then not swept), never fatal.
 */

import { objectType } from "../../directory/properties.ts";
import {
  activeAssignmentEdge,
  eligibilityEdge,
  PRINCIPAL_TYPES,
  PRINCIPALS_BY_IDS_PATH,
  PRINCIPALS_PER_CALL,
  principalIdOf,
  ROLE_ASSIGNMENTS_PATH,
  ROLE_DEFINITIONS_PATH,
  ROLE_ELIGIBILITY_PATH,
  roleResource,
  UNKNOWN_PRINCIPAL,
} from "../../directory/roles.ts";
import { GraphError } from "../../errors.ts";
import type { PrincipalType, ResourceKind } from "../../store/types.ts";
import type { StreamContext } from "../context.ts";
import { count } from "../meter.ts";
import { type RelatedRead, readRelated } from "../related.ts";
import type { SnapshotSpec } from "../snapshot-stream.ts";
import type { Raw } from "../tracked-stream.ts";

const READS: RelatedRead[] = [
  { objectId: "", name: "definitions", path: ROLE_DEFINITIONS_PATH, accept: [] },
  { objectId: "", name: "assignments", path: ROLE_ASSIGNMENTS_PATH, accept: [] },
  { objectId: "", name: "eligibility", path: ROLE_ELIGIBILITY_PATH, accept: ["denied"] },
];

export function rolesStream(): SnapshotSpec {
  return {
    stream: "roles",
    kinds: ["role"],
    async *read(ctx, relations) {
      const read = await readAll(ctx);
      const assignments = read.get("assignments") ?? [];
      const eligible = read.get("eligibility");
      const types = await principalTypes(ctx, [...assignments, ...(eligible ?? [])].map(principalIdOf));
      const typeOf = (raw: Raw) => types.get(principalIdOf(raw)) ?? UNKNOWN_PRINCIPAL;
      yield { upserts: (read.get("definitions") ?? []).map(roleResource) };
      yield { edges: { add: assignments.map((a) => activeAssignmentEdge(a, typeOf(a))) } };
      relations.add("role:assigned");
      if (eligible) {
        yield { edges: { add: eligible.map((e) => eligibilityEdge(e, typeOf(e))) } };
        relations.add("role:eligible");
      } else {
        ctx.observer.warning?.(
          "roles",
          "PIM role eligibility is not readable (403: the tenant needs an Entra ID P2 licence and the app RoleEligibilitySchedule.Read.Directory); eligible assignments skipped",
        );
      }
    },
  };
}

/** The three collections in one `$batch` round trip (longer ones then follow their nextLinks); a denied one is absent. */
async function readAll(ctx: StreamContext): Promise<Map<string, Raw[]>> {
  const out = new Map<string, Raw[]>();
  const options = { concurrency: 1, signal: ctx.signal };
  for await (const result of readRelated(ctx.client, READS, ctx.meter, options)) {
    if (result.status === "read") out.set(result.read.name, result.items);
  }
  return out;
}

/** The principal type of a store kind that can hold a role. */
const TYPE_OF_KIND: Partial<Record<ResourceKind, PrincipalType>> = {
  user: "user",
  group: "group",
  app: "servicePrincipal",
};

/**
 * Each principal's type, so a role held by a group reaches the group's members in effective grants.
 * Principals the store already holds cost nothing, which is every one on an incremental run (roles run
 * after the streams that sync principals); the rest — all of them on a first sync, where every stream
 * starts at once, or with `--kinds roles` alone — cost one `getByIds` per 1,000. An id Graph no longer
 * knows keeps the unknown type; so does every one if the app may not read directory objects (403,
 * warned once), because grants are still right for the principal itself.
 */
async function principalTypes(ctx: StreamContext, ids: string[]): Promise<Map<string, PrincipalType>> {
  const types = new Map<string, PrincipalType>();
  const unknown: string[] = [];
  for (const id of new Set(ids)) {
    const type = await storedType(ctx, id);
    if (type) types.set(id, type);
    else unknown.push(id);
  }
  for (let i = 0; i < unknown.length; i += PRINCIPALS_PER_CALL) {
    const batch = unknown.slice(i, i + PRINCIPALS_PER_CALL);
    count(ctx.meter, PRINCIPALS_BY_IDS_PATH, "POST");
    try {
      const response = await ctx.client.request<{ value?: Raw[] }>(PRINCIPALS_BY_IDS_PATH, {
        method: "POST",
        body: { ids: batch, types: PRINCIPAL_TYPES },
        // A read sent as POST: safe to repeat after a lost answer.
        idempotent: true,
        ...(ctx.signal ? { signal: ctx.signal } : {}),
      });
      for (const object of response.body.value ?? []) types.set(String(object["id"]), objectType(object));
    } catch (err) {
      if (!(err instanceof GraphError) || err.httpStatus !== 403) throw err;
      ctx.observer.warning?.(
        "roles",
        "the types of role holders not yet synced are not readable (403 on directoryObjects/getByIds: the app needs Directory.Read.All); they are recorded as directoryObject, so roles they hold through groups are not expanded",
      );
      break;
    }
  }
  return types;
}

async function storedType(ctx: StreamContext, id: string): Promise<PrincipalType | undefined> {
  try {
    const found = await ctx.store.query.resolve(id);
    return found?.id === id ? TYPE_OF_KIND[found.kind] : undefined;
  } catch {
    // resolve also matches names and refuses an ambiguous one; an id is never a name, so: not found.
    return undefined;
  }
}
