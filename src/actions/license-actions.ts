/** Licence actions: change a user's licences, read them, and list the tenant's SKUs with free seats. */
import { z } from "zod";
import { defineAction, LICENSE_READ, LICENSE_WRITE, SKU_READ } from "./define.ts";
import { applyLicenceChange, freeSeats, planLicenceChange, subscribedSkus } from "./licenses.ts";
import { resolve } from "./resolve.ts";
import { licenseLists, usageLocation, userRef, writeResult } from "./schemas.ts";

const skuSummary = z.object({
  skuId: z.string(),
  skuPartNumber: z.string(),
  enabled: z.number(),
  consumed: z.number(),
  available: z.number(),
});

export const addRemoveUserLicense = defineAction({
  name: "add-remove-user-license",
  summary: "Assign and/or remove licences (SKU ids or part numbers); only the difference is sent",
  write: true,
  permissions: LICENSE_WRITE,
  input: z
    .object({
      user: userRef,
      ...licenseLists,
      usageLocation: usageLocation
        .optional()
        .describe("Set first when the user has none (needed to assign a licence)"),
    })
    .strict()
    .refine(
      (i) => i.addLicenses.length + i.removeLicenses.length > 0,
      "give addLicenses and/or removeLicenses",
    ),
  output: z.object({ ...writeResult, added: z.array(z.string()), removed: z.array(z.string()) }),
  async run(ctx, input) {
    const [user, skus] = await Promise.all([resolve(ctx, "user", input.user), subscribedSkus(ctx)]);
    ctx.setTarget(`user:${user.id}`);
    const change = planLicenceChange(
      user,
      skus,
      input.addLicenses,
      input.removeLicenses,
      input.usageLocation,
    );
    const changed = await applyLicenceChange(ctx, user, change);
    return { changed, added: change.add.map((s) => s.skuId), removed: change.remove.map((s) => s.skuId) };
  },
});

export const getUserLicense = defineAction({
  name: "get-user-license",
  summary: "List a user's licences (direct and group-based) with their service plans",
  write: false,
  permissions: LICENSE_READ,
  input: z.object({ user: userRef }).strict(),
  output: z.object({
    userId: z.string(),
    licenses: z.array(z.looseObject({ skuId: z.string(), skuPartNumber: z.string() })),
  }),
  async run(ctx, input) {
    const user = await resolve(ctx, "user", input.user);
    const licenses: { skuId: string; skuPartNumber: string }[] = [];
    for await (const p of ctx.graph.pages<{ skuId: string; skuPartNumber: string }>(
      `/users/${user.id}/licenseDetails`,
    )) {
      licenses.push(...p.value);
    }
    return { userId: user.id, licenses };
  },
});

export const listLicenses = defineAction({
  name: "list-licenses",
  summary: "List the tenant's subscribed SKUs with seat counts (by default only those with free seats)",
  write: false,
  permissions: SKU_READ,
  input: z
    .object({ includeFull: z.boolean().default(false).describe("Also list SKUs with no free seat") })
    .strict(),
  output: z.object({ licenses: z.array(skuSummary) }),
  async run(ctx, input) {
    const licenses = (await subscribedSkus(ctx))
      .map((s) => ({
        skuId: s.skuId,
        skuPartNumber: s.skuPartNumber,
        enabled: s.prepaidUnits?.enabled ?? 0,
        consumed: s.consumedUnits ?? 0,
        available: freeSeats(s),
      }))
      .filter((s) => input.includeFull || s.available > 0);
    return { licenses };
  },
});

export const LICENSE_ACTIONS = [addRemoveUserLicense, getUserLicense, listLicenses];
