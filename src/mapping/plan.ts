/**
 * The provisioning plan: what to create, update, disable or delete in a target, and what to leave alone
 * and why. Pure: the caller resolves scope and looks up the target's records; nothing here does I/O, so
 * a plan can be shown (dry run) before anything is pushed.
 */
import { createError, isConnectorError } from "../errors.ts";
import {
  type AttributeEntry,
  deletionLimit,
  type LeaveReason,
  leavePolicy,
  type Mapping,
} from "./definition.ts";
import { getPath, setPath } from "./path.ts";
import type { UserData, UserState } from "./scope.ts";

/**
 * What the plan needs of a compiled attribute expression: the expression language's `compileExpression`
 * gives one; tests may pass a smaller compiler.
 */
export interface CompiledExpression {
  readonly references: readonly string[];
  evaluate(source: Record<string, unknown>, options?: { isUnique?: (value: unknown) => boolean }): unknown;
}
export type CompileExpression = (text: string) => CompiledExpression;

export interface AttributeMapper {
  /** Target attribute path, dotted for nested SCIM attributes (`name.givenName`). */
  path: string;
  /** `onCreate` attributes are set when the record is created and never updated afterwards. */
  apply: "always" | "onCreate";
  default?: string | number | boolean;
  expression: CompiledExpression;
}

/** Compiles every attribute of `mapping`; a bad expression is reported with the attribute it belongs to. */
export function compileAttributes(mapping: Mapping, compile: CompileExpression): AttributeMapper[] {
  return Object.entries(mapping.attributes).map(([path, entry]: [string, AttributeEntry]) => {
    const spec = typeof entry === "string" ? { value: entry, apply: "always" as const } : entry;
    try {
      return { path, apply: spec.apply, default: spec.default, expression: compile(spec.value) };
    } catch (err) {
      if (!isConnectorError(err)) throw err;
      throw createError(
        "MAPPING_INVALID",
        { source: `${mapping.name} attributes.${path}`, problem: err.message },
        { cause: err },
      );
    }
  });
}

export interface PlanUser {
  id: string;
  data: UserData;
  state: UserState;
}

export interface TargetRecord {
  /** The target's own id for the record. */
  id: string;
  /** The record as the target holds it, nested like the mapping's attribute paths. */
  attributes: Record<string, unknown>;
}

export interface PlanInput {
  mapping: Mapping;
  attributes: readonly AttributeMapper[];
  users: readonly PlanUser[];
  /** The target's current records that the users' match keys found (any order; some users have none). */
  targets: readonly TargetRecord[];
  /** How many records the target holds, for a percentage threshold; defaults to `targets.length`. */
  provisioned?: number;
  /**
   * User id → the id of the record an earlier run created or matched for that user. A linked user is
   * matched to that record before any key (a changed userName still finds its record), and a key that
   * finds a record linked to another user is a conflict, not a match, even when that user is not planned.
   */
  links?: ReadonlyMap<string, string>;
  /** Lift the deletion threshold for this run. */
  allowDeletes?: boolean;
  isUnique?: (value: unknown) => boolean;
}

export interface AttributeChange {
  path: string;
  old: unknown;
  new: unknown;
}

export type SkipReason =
  | "upToDate"
  | "blankKey"
  | "duplicateKey"
  | "ambiguousMatch"
  | "notProvisioned"
  | "alreadyDisabled"
  | "ignored"
  | "mappingFailed";

interface ActionBase {
  userId: string;
  /** The user's value for the first match attribute, as mapped. */
  key: string | undefined;
}

export type PlanAction =
  | (ActionBase & { kind: "create"; reason: "inScope"; attributes: Record<string, unknown> })
  | (ActionBase & { kind: "update"; reason: "changed"; targetId: string; changes: AttributeChange[] })
  | (ActionBase & { kind: "disable" | "delete"; reason: LeaveReason; targetId: string })
  | (ActionBase & { kind: "skip"; reason: SkipReason; detail: string; targetId?: string });

export interface Plan {
  /** What to do, in the order of the input users; held actions are not in here. */
  actions: PlanAction[];
  /** Disables and deletes held back because there were more than the threshold allows. */
  held: PlanAction[];
  threshold: { limit: number; count: number; exceeded: boolean; allowed: boolean };
}

const EMAIL = /^[^\s@]+@[^\s@]+$/;

/**
 * The comparable form of a match value, or undefined when blank. SCIM defines userName as
 * case-insensitive and mail systems treat addresses so; any other value is compared exactly.
 */
export function matchKey(path: string, value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  const text = typeof value === "object" ? JSON.stringify(value) : String(value);
  if (text.trim() === "") return undefined;
  return path === "userName" || EMAIL.test(text) ? text.toLowerCase() : text;
}

function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

function isDisabled(record: TargetRecord): boolean {
  const active = getPath(record.attributes, "active");
  return active === false || (typeof active === "string" && active.toLowerCase() === "false");
}

interface Mapped {
  user: PlanUser;
  values: Map<string, unknown>;
  keys: (string | undefined)[];
  target?: TargetRecord;
  skip?: { reason: SkipReason; detail: string; targetId?: string };
}

function mapUser(input: PlanInput, user: PlanUser): Mapped {
  const values = new Map<string, unknown>();
  try {
    for (const mapper of input.attributes) {
      const value = mapper.expression.evaluate(user.data, { isUnique: input.isUnique });
      values.set(mapper.path, value === null || value === undefined ? (mapper.default ?? null) : value);
    }
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    return { user, values, keys: [], skip: { reason: "mappingFailed", detail } };
  }
  const keys = input.mapping.match.map((path) => matchKey(path, values.get(path)));
  if (keys[0] === undefined) {
    return { user, values, keys, skip: { reason: "blankKey", detail: `${input.mapping.match[0]} is blank` } };
  }
  return { user, values, keys };
}

/** Two users with one key would be pushed into one record: both are held out, neither wins. */
function markDuplicates(mapping: Mapping, mapped: Mapped[]): void {
  mapping.match.forEach((path, index) => {
    const byKey = new Map<string, Mapped[]>();
    for (const entry of mapped) {
      const key = entry.keys[index];
      if (entry.skip || key === undefined) continue;
      byKey.set(key, [...(byKey.get(key) ?? []), entry]);
    }
    for (const [key, group] of byKey) {
      if (group.length < 2) continue;
      const ids = group.map((entry) => entry.user.id).join(", ");
      for (const entry of group) {
        entry.skip ??= { reason: "duplicateKey", detail: `${path} "${key}" is shared by users ${ids}` };
      }
    }
  });
}

/** Finds each user's record by the match attributes in order; the first attribute that finds one wins. */
function matchTargets(input: PlanInput, mapped: Mapped[]): void {
  const indexes = input.mapping.match.map((path) => {
    const index = new Map<string, TargetRecord[]>();
    for (const record of input.targets) {
      const key = matchKey(path, getPath(record.attributes, path));
      if (key !== undefined) index.set(key, [...(index.get(key) ?? []), record]);
    }
    return index;
  });
  const byId = new Map(input.targets.map((record) => [record.id, record]));
  const owners = new Map<string, string>();
  for (const [userId, targetId] of input.links ?? []) owners.set(targetId, userId);
  const claimed = new Map<string, Mapped[]>();
  for (const entry of mapped) {
    if (entry.skip) continue;
    const linked = byId.get(input.links?.get(entry.user.id) ?? "");
    if (linked) {
      entry.target = linked;
      claimed.set(linked.id, [...(claimed.get(linked.id) ?? []), entry]);
      continue;
    }
    for (const [index, key] of entry.keys.entries()) {
      const found = key === undefined ? undefined : indexes[index]!.get(key);
      if (!found) continue;
      if (found.length > 1) {
        const ids = found.map((record) => record.id).join(", ");
        entry.skip = {
          reason: "ambiguousMatch",
          detail: `${input.mapping.match[index]} "${key}" matches target records ${ids}`,
        };
      } else if ((owners.get(found[0]!.id) ?? entry.user.id) !== entry.user.id) {
        entry.skip = {
          reason: "duplicateKey",
          detail: `${input.mapping.match[index]} "${key}" finds target record ${found[0]!.id}, which belongs to user ${owners.get(found[0]!.id)}`,
          targetId: found[0]!.id,
        };
      } else {
        entry.target = found[0]!;
        claimed.set(entry.target.id, [...(claimed.get(entry.target.id) ?? []), entry]);
      }
      break;
    }
  }
  for (const [targetId, group] of claimed) {
    if (group.length < 2) continue;
    const ids = group.map((entry) => entry.user.id).join(", ");
    for (const entry of group) {
      entry.skip = {
        reason: "duplicateKey",
        detail: `target record ${targetId} matches users ${ids}`,
        targetId,
      };
    }
  }
}

function actionFor(input: PlanInput, entry: Mapped, policy: ReturnType<typeof leavePolicy>): PlanAction {
  const base = {
    userId: entry.user.id,
    key: entry.keys[0] === undefined ? undefined : String(entry.values.get(input.mapping.match[0]!)),
  };
  if (entry.skip) return { ...base, kind: "skip", ...entry.skip };
  const target = entry.target;
  if (entry.user.state === "active") {
    if (!target) {
      const attributes: Record<string, unknown> = {};
      for (const [path, value] of entry.values) if (value !== null) setPath(attributes, path, value);
      return { ...base, kind: "create", reason: "inScope", attributes };
    }
    const changes: AttributeChange[] = [];
    for (const mapper of input.attributes) {
      if (mapper.apply !== "always") continue;
      const old = getPath(target.attributes, mapper.path);
      const value = entry.values.get(mapper.path);
      if (!sameValue(old, value)) changes.push({ path: mapper.path, old: old ?? null, new: value });
    }
    if (changes.length === 0) {
      return {
        ...base,
        kind: "skip",
        reason: "upToDate",
        detail: "no attribute changed",
        targetId: target.id,
      };
    }
    return { ...base, kind: "update", reason: "changed", targetId: target.id, changes };
  }
  const reason = entry.user.state;
  const leave = policy[reason];
  if (!target)
    return { ...base, kind: "skip", reason: "notProvisioned", detail: `${reason}, no record in the target` };
  if (leave === "ignore") {
    return {
      ...base,
      kind: "skip",
      reason: "ignored",
      detail: `onLeave.${reason} is ignore`,
      targetId: target.id,
    };
  }
  if (leave === "disable" && isDisabled(target)) {
    return {
      ...base,
      kind: "skip",
      reason: "alreadyDisabled",
      detail: `${reason}; the record is already inactive`,
      targetId: target.id,
    };
  }
  return { ...base, kind: leave, reason, targetId: target.id };
}

/** Plans one run of `input.mapping` over the given users and the target records found for them. */
export function planProvisioning(input: PlanInput): Plan {
  const mapped = input.users.map((user) => mapUser(input, user));
  markDuplicates(input.mapping, mapped);
  matchTargets(input, mapped);
  const policy = leavePolicy(input.mapping.onLeave);
  const all = mapped.map((entry) => actionFor(input, entry, policy));

  const destructive = all.filter((action) => action.kind === "disable" || action.kind === "delete");
  const limit = deletionLimit(input.mapping.deletionThreshold, input.provisioned ?? input.targets.length);
  const exceeded = destructive.length > limit;
  const allowed = input.allowDeletes === true;
  const held = exceeded && !allowed ? destructive : [];
  return {
    actions: held.length > 0 ? all.filter((action) => !held.includes(action)) : all,
    held,
    threshold: { limit, count: destructive.length, exceeded, allowed },
  };
}
