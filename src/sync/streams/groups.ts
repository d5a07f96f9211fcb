/**
 * The groups stream: groups, their direct members and owners.
 *
 * Full load: groups listed 999 a page with their owners expanded (Graph shows at most 20; a group
 * showing 20 has its owners read apart), and each page's members from groups delta rounds filtered to
 * 50 of its groups at a time: a delta page carries up to a thousand memberships of many groups, where
 * a per-group read costs one request for each group however small. Incremental: groups delta with
 * `members` selected gives member additions and removals; an owner change makes the group appear in
 * the delta round (the change is recorded on the group) but delta does not carry owners, so the
 * groups a page reports are listed again by id with their owners expanded, fifteen to a request.
 */
import {
  GROUP_PROPERTIES,
  GROUP_REQUIRED,
  groupResource,
  isOnPremisesGroup,
  mergeGroupFragments,
  ownerEdge,
} from "../../directory/groups.ts";
import { chooseProperties, selectParam } from "../../directory/properties.ts";
import { literal } from "../../graph/odata-filter.ts";
import type { Edge, Relation, Resource, ResourceKind } from "../../store/types.ts";
import type { StreamContext } from "../context.ts";
import type { SyncOptions } from "../options.ts";
import {
  collect,
  expanded,
  PART_ROWS,
  type RelatedRead,
  type RelatedResult,
  relatedEdges,
} from "../related.ts";
import {
  type DeltaPageContent,
  type PageContent,
  type Raw,
  readByIds,
  type TrackedSpec,
} from "../tracked-stream.ts";

/** Ids a groups delta `$filter` may name (`id eq '…' or …`, docs/graph.md#delta-queries). */
const DELTA_FILTER_IDS = 50;

/**
 * `$batch` calls in flight for a full load's member reads. Each carries twenty filtered rounds whose
 * first pages hold up to ~20,000 memberships between them, parsed at once: at xl eight in flight were
 * the largest part of the peak RSS, while the store's thread, not Graph, sets the pace of a load.
 */
const LOAD_MEMBER_BATCHES = 4;

/** Owners ride on the groups listing: at most 20 each (docs/graph.md#query-options). */
const OWNERS_EXPAND = "$expand=owners($select=id)";

/** `$filter=id eq '…' or id eq '…'`, the only filter a delta function accepts. */
function idFilter(ids: readonly string[]): string {
  return `$filter=${encodeURIComponent(ids.map((id) => `id eq ${literal(id)}`).join(" or "))}`;
}

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

  const ownersRead = (id: string): RelatedRead => ({
    objectId: id,
    name: "owners",
    path: `/groups/${id}/owners?$select=id&$top=999`,
  });
  /** The members of up to 50 groups: a groups delta round filtered to them, from its first page. */
  const membersRead = (ids: string[]): RelatedRead => ({
    objectId: ids[0] as string,
    name: "members",
    path: `/groups/delta?$select=id,members&${idFilter(ids)}`,
    // A full round carries only additions, so each page's members stand alone.
    eachPage: true,
  });
  const toEdges = (r: RelatedResult): Edge[] => {
    if (r.read.name === "owners") return r.items.map((item) => ownerEdge(r.read.objectId, item));
    const edges: Edge[] = [];
    for (const g of mergeGroupFragments(r.items)) {
      for (const [principalId, principalType] of g.added) {
        edges.push({ relation: "group:member", objectId: g.id, principalId, principalType });
      }
    }
    return edges;
  };
  const edgeParts = (reads: RelatedRead[], ctx: StreamContext, batches = ctx.concurrency) =>
    relatedEdges(ctx.client, reads, toEdges, ctx.meter, {
      concurrency: batches,
      signal: ctx.signal,
      partSize: PART_ROWS,
    });

  const relations: Relation[] = [];
  if (withMembers) relations.push("group:member");
  if (withOwners) relations.push("group:owner");

  return {
    stream: "groups",
    kind: "group",
    select: `${select};members=${withMembers};owners=${withOwners};skipAd=${options.skipAdGroups}`,
    listPath: `/groups?$select=${select}&$top=999${withOwners ? `&${OWNERS_EXPAND}` : ""}`,
    deltaPath: `/groups/delta?$select=${withMembers ? `${select},members` : select}`,
    deletedPath: `/directory/deletedItems/microsoft.graph.group?$select=${select}&$top=999`,
    deletedResource: (raw) => (skip(raw) ? undefined : groupResource(raw, props)),
    sweepRelations: relations,

    async *listPage(values, ctx): AsyncGenerator<PageContent> {
      const kept = values.filter((raw) => !skip(raw));
      yield { upserts: kept.map((raw) => groupResource(raw, props)) };
      const owners = withOwners ? expanded(kept, "owners", ownerEdge, ownersRead) : { edges: [], reads: [] };
      if (owners.edges.length > 0) yield { edges: { add: owners.edges } };
      const reads = [...owners.reads];
      if (withMembers) {
        const ids = kept.map((g) => String(g["id"]));
        for (let i = 0; i < ids.length; i += DELTA_FILTER_IDS) {
          reads.push(membersRead(ids.slice(i, i + DELTA_FILTER_IDS)));
        }
      }
      const batches = Math.min(ctx.concurrency, LOAD_MEMBER_BATCHES);
      for await (const add of edgeParts(reads, ctx, batches)) yield { edges: { add } };
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
      const listed = await readByIds(ctx, live, (filter) => `/groups?${filter}&$select=id&${OWNERS_EXPAND}`);
      const owners = expanded(listed, "owners", ownerEdge, ownersRead);
      add.push(...owners.edges, ...(await collect(edgeParts(owners.reads, ctx))));
      return {
        upserts,
        deletes,
        edges: { add, remove },
        rescan: { relations: ["group:owner"], objectIds: live },
      };
    },
  };
}
