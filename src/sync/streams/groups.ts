/**
 * The groups stream: groups, their direct members and owners.
 *
 * Full load: groups listed 999 a page; each page's members and owners read with `$batch`ed per-group
 * reads at `$top=999`. Incremental: groups delta with `members` selected gives member additions and
 * removals; an owner change makes the group appear in the delta round (the change is recorded on the
 * group) but delta does not carry owners, so owners of the groups a page reports are read again.
 */
import {
  GROUP_PROPERTIES,
  GROUP_REQUIRED,
  groupResource,
  isOnPremisesGroup,
  memberEdge,
  mergeGroupFragments,
  ownerEdge,
} from "../../directory/groups.ts";
import { chooseProperties, selectParam } from "../../directory/properties.ts";
import type { Edge, Relation, Resource, ResourceKind } from "../../store/types.ts";
import type { StreamContext } from "../context.ts";
import type { SyncOptions } from "../options.ts";
import { collect, PART_ROWS, type RelatedRead, type RelatedResult, relatedEdges } from "../related.ts";
import type { DeltaPageContent, PageContent, Raw, TrackedSpec } from "../tracked-stream.ts";

export function groupsStream(options: SyncOptions): TrackedSpec {
  const props = chooseProperties(
    "--properties group",
    GROUP_PROPERTIES,
    options.properties?.group,
    GROUP_REQUIRED,
  );
  const withMembers = options.kinds.has("memberships");
  const withOwners = options.kinds.has("owners");
  const select = selectParam(props);
  const skip = (raw: Raw) => options.skipAdGroups && isOnPremisesGroup(raw);
  // On-premises groups seen this run: a split group's later fragments carry only members.
  const skipped = new Set<string>();

  const edgeParts = (ids: string[], ctx: StreamContext, members: boolean) => {
    const reads: RelatedRead[] = [];
    for (const id of ids) {
      if (members) {
        reads.push({ objectId: id, name: "members", path: `/groups/${id}/members?$select=id&$top=999` });
      }
      if (withOwners) {
        reads.push({ objectId: id, name: "owners", path: `/groups/${id}/owners?$select=id&$top=999` });
      }
    }
    const toEdges = (r: RelatedResult) => {
      const toEdge = r.read.name === "members" ? memberEdge : ownerEdge;
      return r.items.map((item) => toEdge(r.read.objectId, item));
    };
    return relatedEdges(ctx.client, reads, toEdges, ctx.meter, {
      concurrency: ctx.concurrency,
      signal: ctx.signal,
      partSize: PART_ROWS,
    });
  };

  const relations: Relation[] = [];
  if (withMembers) relations.push("group:member");
  if (withOwners) relations.push("group:owner");

  return {
    stream: "groups",
    kind: "group",
    select: `${select};members=${withMembers};owners=${withOwners};skipAd=${options.skipAdGroups}`,
    listPath: `/groups?$select=${select}&$top=999`,
    deltaPath: `/groups/delta?$select=${withMembers ? `${select},members` : select}`,
    deletedPath: `/directory/deletedItems/microsoft.graph.group?$select=${select}&$top=999`,
    deletedResource: (raw) => (skip(raw) ? undefined : groupResource(raw, props)),
    sweepRelations: relations,

    async *listPage(values, ctx): AsyncGenerator<PageContent> {
      const kept = values.filter((raw) => !skip(raw));
      yield { upserts: kept.map((raw) => groupResource(raw, props)) };
      const ids = kept.map((g) => String(g["id"]));
      for await (const add of edgeParts(ids, ctx, withMembers)) yield { edges: { add } };
    },

    async deltaPage(values, ctx): Promise<DeltaPageContent> {
      const upserts: Resource[] = [];
      const deletes: { kind: ResourceKind; id: string; soft?: boolean }[] = [];
      const add: Edge[] = [];
      const remove: Edge[] = [];
      const live: string[] = [];
      for (const g of mergeGroupFragments(values)) {
        if (g.object) {
          if (skip(g.object)) skipped.add(g.id);
          else skipped.delete(g.id);
        }
        if (g.removed || skipped.has(g.id)) {
          deletes.push({ kind: "group", id: g.id, soft: g.removed === "changed" });
          continue;
        }
        if (g.object) upserts.push(groupResource(g.object, props));
        live.push(g.id);
        if (!withMembers) continue;
        for (const [memberId, type] of g.added) {
          add.push({ relation: "group:member", objectId: g.id, principalId: memberId, principalType: type });
        }
        for (const memberId of g.removedMembers)
          remove.push({ relation: "group:member", objectId: g.id, principalId: memberId });
      }
      if (!withOwners || live.length === 0) return { upserts, deletes, edges: { add, remove } };
      add.push(...(await collect(edgeParts(live, ctx, false))));
      return {
        upserts,
        deletes,
        edges: { add, remove },
        rescan: { relations: ["group:owner"], objectIds: live },
      };
    },
  };
}
