/**
 * A run in miniature for target tests: plan against what the target lists (or the lookups of the users'
 * keys where it cannot list), then push each action through the target's interface. The engine does more
 * (logs, thresholds, resumption); this is only what the targets need to be driven end to end.
 */
import {
  compileAttributes,
  compileExpression,
  type Mapping,
  type MappingTarget,
  type Plan,
  type PlanUser,
  planProvisioning,
  setPath,
  type TargetRecord,
} from "../src/mapping/index.ts";

export async function runMapping(
  mapping: Mapping,
  users: readonly PlanUser[],
  target: MappingTarget,
): Promise<Plan> {
  const attributes = compileAttributes(mapping, compileExpression);
  const records: TargetRecord[] = [];
  if (target.list) for await (const record of target.list()) records.push(record);
  else {
    for (const user of users) {
      const values = Object.fromEntries(
        mapping.match.map((path) => [
          path,
          attributes.find((a) => a.path === path)!.expression.evaluate(user.data),
        ]),
      );
      const keys = mapping.match.flatMap((path) =>
        values[path] == null ? [] : [{ path, value: String(values[path]) }],
      );
      const found = await target.lookup(keys);
      if (found) records.push(found);
    }
  }
  const plan = planProvisioning({ mapping, attributes, users, targets: records });
  for (const action of plan.actions) {
    if (action.kind === "create") await target.create(action.attributes);
    else if (action.kind === "update") {
      // The whole record as mapped, as the interface asks: a PUT or a body template needs every attribute.
      const data = users.find((u) => u.id === action.userId)!.data;
      const desired: Record<string, unknown> = {};
      for (const a of attributes) setPath(desired, a.path, a.expression.evaluate(data) ?? a.default ?? null);
      await target.update(action.targetId, action.changes, desired);
    } else if (action.kind === "disable") await target.disable(action.targetId);
    else if (action.kind === "delete") await target.delete(action.targetId);
  }
  await target.close();
  return plan;
}

export function kinds(plan: Plan): string[] {
  return plan.actions.map((a) => `${a.kind}:${a.key}`);
}

export function user(
  id: string,
  data: Record<string, unknown>,
  state: PlanUser["state"] = "active",
): PlanUser {
  return { id, data: { id, accountEnabled: true, ...data }, state };
}
