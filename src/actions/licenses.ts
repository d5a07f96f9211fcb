/**
 * Licence assignment: SKUs named by id or part number, checked for free seats and the user's usage
 * location before Graph is asked, and only the difference from what the user holds is sent.
 */
import { createError } from "../errors.ts";
import { isGraphError, REFUSAL } from "./refusals.ts";
import { retryWhileReplicating } from "./replication.ts";
import type { DirectoryObject } from "./resolve.ts";
import { Steps } from "./steps.ts";
import type { ActionContext } from "./types.ts";

export interface Sku {
  skuId: string;
  skuPartNumber: string;
  consumedUnits: number;
  prepaidUnits: { enabled: number };
  capabilityStatus?: string;
}

export async function subscribedSkus(ctx: ActionContext): Promise<Sku[]> {
  const page = await ctx.graph.get<{ value: Sku[] }>(
    "/subscribedSkus?$select=skuId,skuPartNumber,consumedUnits,prepaidUnits,capabilityStatus",
  );
  return page.value;
}

/** Resolves SKU references (skuId or skuPartNumber, case-insensitive) against the tenant's SKUs. */
export function resolveSkus(skus: readonly Sku[], refs: readonly string[]): Sku[] {
  return refs.map((ref) => {
    const r = ref.toLowerCase();
    const sku = skus.find((s) => s.skuId.toLowerCase() === r || s.skuPartNumber.toLowerCase() === r);
    if (!sku) {
      throw createError("LICENSE_UNKNOWN", {
        ref,
        available: skus.map((s) => `${s.skuPartNumber} (${s.skuId})`).join(", ") || "none",
      });
    }
    return sku;
  });
}

export function freeSeats(sku: Sku): number {
  return Math.max(0, (sku.prepaidUnits?.enabled ?? 0) - (sku.consumedUnits ?? 0));
}

export function assignedSkuIds(user: DirectoryObject): Set<string> {
  const list = Array.isArray(user["assignedLicenses"])
    ? (user["assignedLicenses"] as { skuId?: string }[])
    : [];
  return new Set(list.flatMap((l) => (typeof l.skuId === "string" ? [l.skuId.toLowerCase()] : [])));
}

export interface LicenceChange {
  add: Sku[];
  remove: Sku[];
  /** Set when the user has no usage location and the input supplied one. */
  setUsageLocation?: string;
}

/**
 * What must be sent to bring the user to the asked licences: SKUs already held are not re-added,
 * SKUs not held are not removed. Refuses before any request when a seat or the usage location is missing.
 */
export function planLicenceChange(
  user: DirectoryObject,
  skus: readonly Sku[],
  addRefs: readonly string[],
  removeRefs: readonly string[],
  usageLocation: string | undefined,
): LicenceChange {
  const held = assignedSkuIds(user);
  const add = dedupe(resolveSkus(skus, addRefs)).filter((s) => !held.has(s.skuId.toLowerCase()));
  const remove = dedupe(resolveSkus(skus, removeRefs)).filter((s) => held.has(s.skuId.toLowerCase()));
  const both = add.find((a) => remove.some((r) => r.skuId === a.skuId));
  if (both) {
    throw createError("INPUT_INVALID", {
      action: "licences",
      problems: `${both.skuPartNumber} is in both addLicenses and removeLicenses`,
    });
  }
  for (const sku of add) {
    if (freeSeats(sku) < 1) {
      throw createError("LICENSE_NO_SEATS", {
        sku: `${sku.skuPartNumber} (${sku.skuId})`,
        consumed: sku.consumedUnits,
        enabled: sku.prepaidUnits?.enabled ?? 0,
      });
    }
  }
  const change: LicenceChange = { add, remove };
  const current = typeof user["usageLocation"] === "string" ? user["usageLocation"] : "";
  if (add.length > 0 && !current) {
    if (!usageLocation) throw createError("LICENSE_USAGE_LOCATION", { user: describeUser(user) });
    change.setUsageLocation = usageLocation;
  } else if (usageLocation && usageLocation !== current) {
    change.setUsageLocation = usageLocation;
  }
  return change;
}

function dedupe(skus: Sku[]): Sku[] {
  return [...new Map(skus.map((s) => [s.skuId, s])).values()];
}

export function describeUser(user: DirectoryObject): string {
  return String(user["userPrincipalName"] ?? user["displayName"] ?? user.id);
}

/**
 * Sends the change: the usage location first (Graph refuses a licence without it), then one
 * assignLicense with both lists. A fresh user's 404 is retried while it replicates. When the licence
 * step fails after the usage location was set, the error says so (the location stays set).
 */
export async function applyLicenceChange(
  ctx: ActionContext,
  user: DirectoryObject,
  change: LicenceChange,
): Promise<boolean> {
  const path = `/users/${user.id}`;
  const assign = change.add.length > 0 || change.remove.length > 0;
  const steps = new Steps(ctx, "licence change", [
    ...(change.setUsageLocation ? ["set usage location"] : []),
    ...(assign ? ["assign licences"] : []),
  ]);
  if (change.setUsageLocation) {
    const body = { usageLocation: change.setUsageLocation };
    await retryWhileReplicating(ctx, "user", user.id, () => ctx.write({ method: "PATCH", url: path, body }));
    steps.done("set usage location", `usage location ${change.setUsageLocation} on ${describeUser(user)}`);
  }
  if (!assign) return change.setUsageLocation !== undefined;
  const body = {
    addLicenses: change.add.map((s) => ({ skuId: s.skuId, disabledPlans: [] })),
    removeLicenses: change.remove.map((s) => s.skuId),
  };
  await steps.run("assign licences", "licences", () =>
    retryWhileReplicating(ctx, "user", user.id, () =>
      ctx.write({ method: "POST", url: `${path}/assignLicense`, body }, { repeatSafe: true }),
    ).catch((err: unknown) => {
      throw licenceRefusal(err, user, change);
    }),
  );
  return true;
}

/** assignLicense's refusals: a seat taken between our check and the write, or no usage location. */
function licenceRefusal(err: unknown, user: DirectoryObject, change: LicenceChange): unknown {
  if (isGraphError(err, 400, REFUSAL.noSeats) && change.add[0]) {
    const sku = change.add[0];
    const params = { consumed: sku.consumedUnits, enabled: sku.prepaidUnits.enabled };
    return createError(
      "LICENSE_NO_SEATS",
      { sku: `${sku.skuPartNumber} (${sku.skuId})`, ...params },
      { cause: err },
    );
  }
  if (isGraphError(err, 400, REFUSAL.usageLocation)) {
    return createError("LICENSE_USAGE_LOCATION", { user: describeUser(user) }, { cause: err });
  }
  return err;
}
