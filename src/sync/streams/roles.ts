/**
 * The roles stream: role definitions (the `role` resources; a definition's id is what assignments
 * name), active assignments, and PIM eligibility — which answers 403 without an Entra ID P2 licence:
 * reported once as a warning and skipped (its relations are then not swept), never fatal.
 */
import {
  activeAssignmentEdge,
  eligibilityEdge,
  ROLE_ASSIGNMENTS_PATH,
  ROLE_DEFINITIONS_PATH,
  ROLE_ELIGIBILITY_PATH,
  roleResource,
} from "../../directory/roles.ts";
import type { StreamContext } from "../context.ts";
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
      yield { upserts: (read.get("definitions") ?? []).map(roleResource) };
      yield { edges: { add: (read.get("assignments") ?? []).map(activeAssignmentEdge) } };
      relations.add("role:assigned");
      const eligible = read.get("eligibility");
      if (eligible) {
        yield { edges: { add: eligible.map(eligibilityEdge) } };
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
