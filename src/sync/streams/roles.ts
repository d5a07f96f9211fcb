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
import { GraphError } from "../../errors.ts";
import type { StreamContext } from "../context.ts";
import { count } from "../meter.ts";
import type { SnapshotSpec } from "../snapshot-stream.ts";
import type { Raw } from "../tracked-stream.ts";

export function rolesStream(): SnapshotSpec {
  return {
    stream: "roles",
    kinds: ["role"],
    async *read(ctx, relations) {
      for await (const values of pagesOf(ctx, ROLE_DEFINITIONS_PATH)) {
        yield { upserts: values.map(roleResource) };
      }
      for await (const values of pagesOf(ctx, ROLE_ASSIGNMENTS_PATH)) {
        yield { edges: { add: values.map(activeAssignmentEdge) } };
      }
      relations.add("role:assigned");
      try {
        for await (const values of pagesOf(ctx, ROLE_ELIGIBILITY_PATH)) {
          yield { edges: { add: values.map(eligibilityEdge) } };
        }
        relations.add("role:eligible");
      } catch (err) {
        if (!(err instanceof GraphError && err.httpStatus === 403)) throw err;
        ctx.observer.warning?.(
          "roles",
          "PIM role eligibility is not readable (403: the tenant needs an Entra ID P2 licence and the app RoleEligibilitySchedule.Read.Directory); eligible assignments skipped",
        );
      }
    },
  };
}

async function* pagesOf(ctx: StreamContext, path: string): AsyncGenerator<Raw[]> {
  for await (const page of ctx.client.pages<Raw>(path, { signal: ctx.signal })) {
    count(ctx.meter, path);
    yield page.value;
  }
}
