/** Which events a subscription receives: type patterns and filters, validated before anything runs. */
import { createError } from "../errors.ts";
import type { SubscriptionFilter, TriggerEvent, TriggerType } from "./types.ts";
import { TRIGGER_TYPES } from "./types.ts";

/**
 * Parses `--types`: comma- or `|`-separated types, `prefix.*` wildcards; empty = every type.
 *
 * @example parseTypes("user.created|user.updated,group.*")
 */
export function parseTypes(spec: string | readonly string[] | undefined): string[] {
  const items = (typeof spec === "string" ? spec.split(/[,|]/) : (spec ?? []))
    .map((s) => s.trim())
    .filter((s) => s !== "");
  for (const item of items) {
    if (expandType(item).length === 0) {
      throw createError("CONFIG_INVALID", {
        field: "--types",
        problem: `"${item}" is not a trigger type; use one of ${TRIGGER_TYPES.join(", ")} or a prefix such as user.*`,
      });
    }
  }
  return items.length === 0 ? ["*"] : [...new Set(items)];
}

function expandType(pattern: string): TriggerType[] {
  if (pattern === "*") return [...TRIGGER_TYPES];
  if (pattern.endsWith(".*")) {
    const prefix = pattern.slice(0, -1);
    return TRIGGER_TYPES.filter((t) => t.startsWith(prefix));
  }
  return TRIGGER_TYPES.filter((t) => t === pattern);
}

/** The set of types a list of patterns selects. */
export function typeSet(patterns: readonly string[]): Set<TriggerType> {
  return new Set(patterns.flatMap(expandType));
}

/**
 * Parses `--filter key=value` (repeatable); `memberOf=<group id>` is the membership filter, any other
 * key a property of the subject.
 */
export function parseFilter(items: readonly string[] | undefined): SubscriptionFilter {
  const filter: SubscriptionFilter = {};
  for (const item of items ?? []) {
    const eq = item.indexOf("=");
    const key = eq > 0 ? item.slice(0, eq).trim() : "";
    if (key === "") {
      throw createError("CONFIG_INVALID", {
        field: "--filter",
        problem: `"${item}" is not key=value; e.g. --filter department=Sales or --filter memberOf=<group id>`,
      });
    }
    const value = item.slice(eq + 1).trim();
    if (key === "memberOf") filter.memberOf = value;
    else filter.where = { ...filter.where, [key]: value };
  }
  return filter;
}

/** What a filter may need from the store about the subject of an event. */
export interface SubjectLookup {
  /** The stored object with this id (user, group, app…), undefined when unknown or deleted. */
  object(id: string): Promise<Record<string, unknown> | undefined>;
  /** Whether `principalId` is a member of `groupId`, directly or through nested groups. */
  isMember(groupId: string, principalId: string): Promise<boolean>;
}

/** The principal an event is about: the user/group itself, or the relationship's principal. */
export function subjectOf(event: TriggerEvent): { id: string; data?: Record<string, unknown> } {
  if ("principalId" in event.data && "relation" in event.data)
    return { id: String(event.data["principalId"]) };
  return { id: event.resource.id, data: event.data };
}

export async function matchesFilter(
  event: TriggerEvent,
  filter: SubscriptionFilter,
  lookup: SubjectLookup,
): Promise<boolean> {
  const subject = subjectOf(event);
  if (filter.memberOf !== undefined) {
    const own = event.type.startsWith("group.member.") && event.resource.id === filter.memberOf;
    if (!own && !(await lookup.isMember(filter.memberOf, subject.id))) return false;
  }
  if (filter.where && Object.keys(filter.where).length > 0) {
    const data = subject.data ?? (await lookup.object(subject.id));
    if (!data) return false;
    for (const [key, value] of Object.entries(filter.where)) {
      if (String(data[key] ?? "") !== value) return false;
    }
  }
  return true;
}
