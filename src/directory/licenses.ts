/**
 * Subscribed SKUs with their seat counts (`GET /subscribedSkus` takes only `$select` and is small: one
 * request). Stored by `skuId`, the id licence assignments name; Graph's own `id` is `{tenantId}_{skuId}`.
 */
import type { Resource } from "../store/types.ts";

export const SUBSCRIBED_SKUS_PATH = "/subscribedSkus";

export function skuResource(raw: Record<string, unknown>): Resource {
  return {
    kind: "license",
    id: String(raw["skuId"]),
    data: { ...raw, id: String(raw["skuId"]), graphId: raw["id"] },
  };
}
