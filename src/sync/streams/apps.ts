/**
 * The apps stream: enterprise apps (service principals, managed identities among them), who is
 * assigned to each (`appRoleAssignedTo`) and their owners.
 *
 * Graph has no delta for app role assignments, so an incremental run re-reads assignments and owners
 * of the apps the servicePrincipals delta reports (an owner change is recorded on the app), and a
 * full load reads them all.
 */
import { removedReason } from "../../directory/delta-items.ts";
import { chooseProperties, selectParam } from "../../directory/properties.ts";
import {
  APP_PROPERTIES,
  APP_REQUIRED,
  appOwnerEdge,
  appResource,
  assignmentEdge,
} from "../../directory/service-principals.ts";
import type { Edge, Relation } from "../../store/types.ts";
import type { StreamContext } from "../context.ts";
import type { SyncOptions } from "../options.ts";
import { type RelatedRead, readRelated } from "../related.ts";
import {
  type DeltaPageContent,
  lastById,
  type PageContent,
  type Raw,
  type TrackedSpec,
} from "../tracked-stream.ts";

export function appsStream(options: SyncOptions): TrackedSpec {
  const props = chooseProperties("--properties app", APP_PROPERTIES, options.properties?.app, APP_REQUIRED);
  const withOwners = options.kinds.has("owners");
  const select = selectParam(props);
  const concurrency = options.concurrency ?? 6;
  const relations: Relation[] = withOwners ? ["app:assigned", "app:owner"] : ["app:assigned"];

  const readEdges = async (ids: string[], ctx: StreamContext): Promise<Edge[]> => {
    const reads: RelatedRead[] = [];
    for (const id of ids) {
      reads.push({
        objectId: id,
        name: "assignments",
        path: `/servicePrincipals/${id}/appRoleAssignedTo?$select=id,appRoleId,principalId,principalType&$top=999`,
      });
      if (withOwners) {
        reads.push({
          objectId: id,
          name: "owners",
          path: `/servicePrincipals/${id}/owners?$select=id&$top=999`,
        });
      }
    }
    const edges: Edge[] = [];
    for (const r of await readRelated(ctx.client, reads, ctx.meter, { concurrency, signal: ctx.signal })) {
      for (const item of r.items) {
        edges.push(
          r.read.name === "owners"
            ? appOwnerEdge(r.read.objectId, item)
            : assignmentEdge(r.read.objectId, item),
        );
      }
    }
    return edges;
  };

  return {
    stream: "apps",
    kind: "app",
    select: `${select};owners=${withOwners}`,
    listPath: `/servicePrincipals?$select=${select}&$top=999`,
    deltaPath: `/servicePrincipals/delta?$select=${select}`,
    sweepRelations: relations,

    async listPage(values, ctx): Promise<PageContent> {
      const upserts = values.map((raw) => appResource(raw, props));
      const add = await readEdges(
        values.map((v) => String(v["id"])),
        ctx,
      );
      return { upserts, edges: { add } };
    },

    async deltaPage(page, ctx): Promise<DeltaPageContent> {
      const values = lastById(page);
      const deletes = values
        .filter((raw) => removedReason(raw))
        .map((raw) => ({
          kind: "app" as const,
          id: String(raw["id"]),
          soft: removedReason(raw) === "changed",
        }));
      const live = values.filter((raw: Raw) => !removedReason(raw));
      const upserts = live.map((raw) => appResource(raw, props));
      const ids = live.map((raw) => String(raw["id"]));
      if (ids.length === 0) return { upserts, deletes };
      const add = await readEdges(ids, ctx);
      return { upserts, deletes, edges: { add }, rescan: { relations, objectIds: ids } };
    },
  };
}
