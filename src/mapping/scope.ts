/**
 * Who is in scope for a mapping, with the semantics of Entra's scoping filters: filters are ORed, the
 * clauses of one filter ANDed; string comparisons are case-sensitive, GREATER_THAN compares integers,
 * and every operator but IS NULL is false on a missing or empty value (NOT EQUALS included).
 * Group membership and app assignment need the directory, so the caller resolves them into a set of ids.
 */
import type { ScopeClause, UsersSource } from "./definition.ts";
import { getPath } from "./path.ts";

export type UserData = Record<string, unknown>;

/** Where a source user stands for a mapping; everything but `active` is a reason to leave. */
export type UserState = "active" | "disabled" | "softDeleted" | "hardDeleted" | "outOfScope";

export interface ScopeSubject {
  id: string;
  data: UserData;
  /** Set when the store has the user as deleted: soft (recoverable) or hard (gone). */
  deleted?: "soft" | "hard";
}

function attribute(data: UserData, property: string): unknown {
  return property in data ? data[property] : getPath(data, property);
}

function isBlank(value: unknown): boolean {
  return (
    value === undefined || value === null || value === "" || (Array.isArray(value) && value.length === 0)
  );
}

function asInteger(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isInteger(value) ? value : undefined;
  if (typeof value === "string" && /^[+-]?\d+$/.test(value.trim())) return Number(value);
  return undefined;
}

/** Multi-valued properties (proxyAddresses, otherMails) match when any of their values does. */
function values(value: unknown): unknown[] {
  if (isBlank(value)) return [];
  return Array.isArray(value) ? value : [value];
}

function flag(value: unknown): boolean | undefined {
  if (typeof value === "boolean") return value;
  if (typeof value === "string" && /^(true|false)$/i.test(value)) return value.toLowerCase() === "true";
  return undefined;
}

/** Whether one clause holds for `data`. */
export function clauseHolds(clause: ScopeClause, data: UserData): boolean {
  const actual = attribute(data, clause.property);
  const expected = clause.value === undefined ? "" : String(clause.value);
  const any = (test: (value: string) => boolean) => values(actual).some((value) => test(String(value)));
  const compare = (test: (difference: number) => boolean) => {
    const left = asInteger(actual);
    const right = asInteger(clause.value);
    return left !== undefined && right !== undefined && test(left - right);
  };
  switch (clause.operator) {
    case "EQUALS":
      return any((value) => value === expected);
    case "NOT EQUALS":
      return !isBlank(actual) && !any((value) => value === expected);
    case "IS TRUE":
      return flag(actual) === true;
    case "IS FALSE":
      return flag(actual) === false;
    case "IS NULL":
      return isBlank(actual);
    case "IS NOT NULL":
      return !isBlank(actual);
    case "Includes":
      return any((value) => value.includes(expected));
    case "REGEX MATCH":
      return any((value) => new RegExp(expected).test(value));
    case "ENDS_WITH":
      return any((value) => value.endsWith(expected));
    case "GREATER_THAN":
      return compare((difference) => difference > 0);
    case "GREATER_THAN_OR_EQUALS":
      return compare((difference) => difference >= 0);
  }
}

/** Whether `data` passes the scoping filters; no filters lets everyone through. */
export function filtersPass(filter: UsersSource["filter"], data: UserData): boolean {
  if (!filter) return true;
  return filter.some((clauses) => clauses.every((clause) => clauseHolds(clause, data)));
}

/**
 * Whether a user is in scope. `members` holds the ids of the users in `memberOf` (nested members
 * included) or assigned to the `assignedTo` app; it is required when either is set.
 */
export function inScope(users: UsersSource, user: ScopeSubject, members?: ReadonlySet<string>): boolean {
  if (users.memberOf || users.assignedTo) {
    if (!members) throw new TypeError("inScope: members must be resolved when memberOf or assignedTo is set");
    if (!members.has(user.id)) return false;
  }
  return filtersPass(users.filter, user.data);
}

/**
 * The user's state for planning. Deletion outranks scope (a deleted user has left whatever the filters
 * say); a disabled account counts as leaving unless the mapping includes disabled users.
 */
export function userState(users: UsersSource, user: ScopeSubject, members?: ReadonlySet<string>): UserState {
  if (user.deleted === "hard") return "hardDeleted";
  if (user.deleted === "soft") return "softDeleted";
  if (!inScope(users, user, members)) return "outOfScope";
  if (!users.includeDisabled && flag(user.data["accountEnabled"]) === false) return "disabled";
  return "active";
}
