/** Licence actions against the emulator: seats, usage location, only the difference sent. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  addRemoveUserLicense,
  createUser,
  getUserLicense,
  listLicenses,
  resetPassword,
} from "../src/index.ts";
import { byId, code, fileHarness, PASSWORD, pick, withPermissions } from "./actions-emulator-support.ts";

const h = fileHarness();

describe("list-licenses", () => {
  test("by default only SKUs with a free seat, with their counts", async () => {
    const free = await listLicenses(h.deps(), {});
    assert.ok(free.licenses.every((l) => l.available > 0 && l.available === l.enabled - l.consumed));
    const all = await listLicenses(h.deps(), { includeFull: true });
    const full = all.licenses.find((l) => l.skuPartNumber === "ENTERPRISEPREMIUM");
    assert.deepEqual(full && [full.consumed, full.enabled, full.available], [3, 3, 0]);
    assert.ok(!free.licenses.some((l) => l.skuPartNumber === "ENTERPRISEPREMIUM"));
  });
});

describe("add-remove-user-license", () => {
  test("usage location offered, set first, then the licence; a repeat sends nothing", async () => {
    const fresh = await createUser(h.deps(), {
      displayName: "Lic Ence",
      userPrincipalName: `lic.ence@${h.emu.tenantDomain}`,
      password: PASSWORD,
    });
    const id = fresh.user.id;
    await assert.rejects(
      addRemoveUserLicense(h.deps(), { user: id, addLicenses: ["SPE_E3"] }),
      (err: unknown) => {
        code("LICENSE_USAGE_LOCATION")(err);
        assert.match((err as { fix: string }).fix, /usageLocation/);
        return true;
      },
    );
    const out = await addRemoveUserLicense(h.deps(), {
      user: id,
      addLicenses: ["spe_e3"],
      usageLocation: "DE",
    });
    assert.equal(out.changed, true);
    const user = byId((await h.snapshot()).users, id);
    assert.equal(user?.["usageLocation"], "DE");
    assert.equal((user?.["assignedLicenses"] as unknown[]).length, 1);
    assert.equal(
      (await addRemoveUserLicense(h.deps(), { user: id, addLicenses: ["SPE_E3"] })).changed,
      false,
    );
    assert.deepEqual(
      (await getUserLicense(h.deps(), { user: id })).licenses.map((l) => l.skuPartNumber),
      ["SPE_E3"],
    );
    // Removing one the user does not hold changes nothing.
    assert.equal(
      (await addRemoveUserLicense(h.deps(), { user: id, removeLicenses: ["POWER_BI_PRO"] })).changed,
      false,
    );
  });

  test("no free seat names the SKU and its counts; unknown SKUs list the tenant's", async () => {
    const user = pick.cloudUser(await h.snapshot(), 2);
    await assert.rejects(
      addRemoveUserLicense(h.deps(), { user: user.id, addLicenses: ["ENTERPRISEPREMIUM"] }),
      (err: unknown) => code("LICENSE_NO_SEATS")(err) && /3 of 3/.test((err as Error).message),
    );
    await assert.rejects(
      addRemoveUserLicense(h.deps(), { user: user.id, addLicenses: ["NOT_A_SKU"] }),
      (err: unknown) => code("LICENSE_UNKNOWN")(err) && /STANDARDPACK/.test((err as { fix: string }).fix),
    );
    await assert.rejects(addRemoveUserLicense(h.deps(), { user: user.id }), code("INPUT_INVALID"));
  });

  test("without licence permission the permission is named", async () => {
    const user = pick.cloudUser(await h.snapshot(), 3);
    await withPermissions(h, "read", async () => {
      await assert.rejects(
        addRemoveUserLicense(h.deps(), { user: user.id, addLicenses: ["POWER_BI_PRO"] }),
        (err: unknown) =>
          code("PERMISSION_MISSING")(err) && /LicenseAssignment\.ReadWrite\.All/.test((err as Error).message),
      );
    });
  });
});

describe("reset-password", () => {
  test("sets the password; the password never reaches the audit log", async () => {
    const user = pick.cloudUser(await h.snapshot(), 4);
    assert.equal((await resetPassword(h.deps(), { user: user.id, password: PASSWORD })).changed, true);
    assert.doesNotMatch(JSON.stringify(await h.store.audit.list()), new RegExp(PASSWORD));
    await assert.rejects(resetPassword(h.deps(), { user: user.id, password: "abc" }), code("INPUT_INVALID"));
  });
});
