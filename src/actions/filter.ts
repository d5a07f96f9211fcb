/**
 * The query pieces actions build, all through src/graph's escaping filter builder so user input can
 * never change the shape of a query; plus `$search`, which the builder does not cover.
 */
import { any, guid, property } from "../graph/odata-filter.ts";

export { and, eq, type Filter, filterParam, or } from "../graph/odata-filter.ts";

/** `assignedLicenses/any(x:x/skuId eq <guid>)`; the SKU id must be a GUID. */
export const hasLicense = (skuId: string) => any("assignedLicenses", "skuId", guid(skuId));

/**
 * A `$search` expression over several properties: `"displayName:ann" OR "mail:ann"`. Inside a clause
 * a double quote or backslash is escaped with a backslash, so the text cannot close the clause.
 */
export function searchAny(properties: readonly string[], text: string): string {
  const escaped = text.replace(/[\\"]/g, (c) => `\\${c}`);
  return properties.map((p) => `"${property(p)}:${escaped}"`).join(" OR ");
}
