import {
  invalidFilter,
  optionNotAllowed,
  unsupportedFilterProperty,
  unsupportedQuery,
} from "../../odata/errors.ts";
import type { ResourceSpec } from "../../odata/resource-spec.ts";
import { parseSelect } from "../../odata/select.ts";

/** The options a delta round's first request may carry (later pages take them from the token). */
export interface DeltaOptions {
  select: string[] | null;
  ids: string[] | null;
}

/** Graph's limit on `id eq` clauses in a delta `$filter`. */
export const MAX_FILTER_IDS = 50;

/** Options delta functions refuse (docs/graph.md#delta-queries). */
const REFUSED = ["$expand", "$top", "$orderby", "$search", "$count", "$skip"];

const ID_CLAUSE = /^\s*id\s+eq\s+'((?:[^']|'')*)'\s*$/i;

/**
 * Reads `$select` and `$filter` of a delta request. `$select` may name `members` on groups (it turns
 * on members@delta); `$filter` takes only `id eq '…'` clauses joined by `or`, at most 50.
 * @example parseDeltaOptions(new URLSearchParams("$filter=id eq 'a' or id eq 'b'"), users) → { select: null, ids: ["a", "b"] }
 */
export function parseDeltaOptions(query: URLSearchParams, spec: ResourceSpec): DeltaOptions {
  for (const name of REFUSED) if (query.has(name)) throw optionNotAllowed(name);
  const rawSelect = query.get("$select");
  const rawFilter = query.get("$filter");
  return {
    select: rawSelect === null ? null : parseDeltaSelect(rawSelect, spec),
    ids: rawFilter === null ? null : parseIdFilter(rawFilter, spec),
  };
}

function parseDeltaSelect(raw: string, spec: ResourceSpec): string[] {
  if (spec.name !== "groups") return parseSelect(raw, spec);
  // `members` is a navigation property: delta accepts it in $select, the property table does not list it.
  const parts = raw.split(",").map((p) => p.trim());
  const properties = parts.filter((p) => p !== "members");
  const selected = properties.length > 0 ? parseSelect(properties.join(","), spec) : [];
  return parts.includes("members") ? [...selected, "members"] : selected;
}

function parseIdFilter(raw: string, spec: ResourceSpec): string[] {
  const ids: string[] = [];
  for (const clause of raw.split(/\s+or\s+/i)) {
    const match = ID_CLAUSE.exec(clause);
    if (!match) {
      const property = /^\s*([A-Za-z_][\w/]*)/.exec(clause)?.[1];
      if (property && property.toLowerCase() !== "id") throw unsupportedFilterProperty(property, spec.label);
      throw invalidFilter(clause.trim());
    }
    const id = (match[1] as string).replaceAll("''", "'");
    if (!ids.includes(id)) ids.push(id);
  }
  // Message unconfirmed: Graph documents the limit, not its wording.
  if (ids.length > MAX_FILTER_IDS) {
    throw unsupportedQuery(
      `The filter clause holds ${ids.length} ids; at most ${MAX_FILTER_IDS} are allowed.`,
    );
  }
  return ids;
}
