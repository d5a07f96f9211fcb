/**
 * The crash test for mapping runs: `mapping run` runs as a child process and is SIGKILLed at several
 * moments (counted in the target's writes, so the kills land between a write and its commit), again and
 * again, over a first load and over later changes; a final run completes. The target must then equal the
 * mapped source, and no record may have been created twice (no create ever met an existing userName).
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { EXAMPLE } from "../src/mapping/test-support.ts";
import {
  activeRecords,
  addExampleGroups,
  duplicates,
  type ExampleTenant,
  expectedActive,
  sorted,
} from "./mapping-support.ts";
import { random, runCliCollect } from "./support/child-process.ts";
import { type ScimServer, startScimServer } from "./support/scim-server.ts";
import { type Harness, startHarness } from "./sync-support.ts";

const writes = (scim: ScimServer) => scim.requests.filter((r) => r.method !== "GET").length;

/** `mapping run` in a child, SIGKILLed once the target has seen `killAfterWrites` more writes (unless it ends first). */
async function run(
  h: Harness,
  scim: ScimServer,
  file: string,
  killAfterWrites: number | undefined,
): Promise<{ killed: boolean; code: number | null; stderr: string }> {
  const start = writes(scim);
  let timer: NodeJS.Timeout | undefined;
  const outcome = await runCliCollect(
    ["mapping", "run", file],
    { ENTRA_STORE: h.env["ENTRA_STORE"], ASSETS_SCIM_TOKEN: scim.token },
    {
      onStart(child) {
        if (killAfterWrites === undefined) return;
        timer = setInterval(() => {
          if (writes(scim) - start >= killAfterWrites) child.kill("SIGKILL");
        }, 2);
      },
    },
  );
  clearInterval(timer);
  return { killed: outcome.signal === "SIGKILL", code: outcome.code, stderr: outcome.stderr };
}

function assertEqual(h: Harness, scim: ScimServer, groups: ExampleTenant, label: string): void {
  assert.deepEqual(sorted(activeRecords(scim)), sorted(expectedActive(h, groups)), label);
  assert.deepEqual(duplicates(scim), [], `${label}: no userName twice`);
  const conflicts = scim.requests.filter((r) => r.method === "POST" && r.status === 409);
  assert.deepEqual(conflicts, [], `${label}: no create met a record that was already there`);
  const created = scim.requests.filter((r) => r.method === "POST" && r.status === 201).length;
  assert.equal(created, scim.users.size, `${label}: every record was created once`);
}

test("mapping run killed at several moments, several times, resumes without creating anything twice", async () => {
  const h = await startHarness({ size: "s", seed: 3, counts: { users: 160 } });
  const scim = await startScimServer();
  const rnd = random(3);
  try {
    const groups = addExampleGroups(h, 60);
    await h.sync({ full: true });
    const file = join(h.dir, "assets.yaml");
    writeFileSync(file, EXAMPLE.replace("http://127.0.0.1:8080/scim/v2", scim.url));
    const total = expectedActive(h, groups).size;

    // The first load, killed after a few creates each time, until a run gets to finish it.
    let kills = 0;
    for (let attempt = 0; attempt < 12 && kills < 4; attempt++) {
      const left = total - scim.users.size;
      const outcome = await run(h, scim, file, 1 + Math.floor(rnd() * Math.max(1, left / 2)));
      if (!outcome.killed) break;
      kills++;
    }
    assert.ok(kills >= 3, `only ${kills} runs of the first load were killed mid-way`);
    assert.equal((await run(h, scim, file, undefined)).code, 0);
    assertEqual(h, scim, groups, "after the killed first load");

    // Changes: renames and leavers, pushed by incremental runs killed part-way.
    const tenant = h.emu.tenant;
    const finance = [...tenant.transitiveMembersOf(groups.finance)].filter((id) => tenant.get("user", id));
    for (const [i, id] of finance.slice(0, 20).entries())
      tenant.update("user", id, { displayName: `Renamed ${i}` });
    for (const id of finance.slice(20, 26)) tenant.removeMember(groups.finance, id);
    const newcomers = tenant
      .list("user")
      .filter((u) => u["userType"] === "Member" && u["accountEnabled"] === true)
      .filter((u) => !expectedActive(h, groups).has(u.id) && !finance.includes(u.id))
      .slice(0, 8);
    for (const u of newcomers) tenant.addMember(groups.helpdesk, u.id);
    await h.sync();
    let later = 0;
    for (let attempt = 0; attempt < 10 && later < 3; attempt++) {
      const outcome = await run(h, scim, file, 1 + Math.floor(rnd() * 10));
      if (!outcome.killed) break;
      later++;
    }
    assert.ok(later >= 2, `only ${later} incremental runs were killed mid-way`);
    assert.equal((await run(h, scim, file, undefined)).code, 0);
    assertEqual(h, scim, groups, "after the killed incremental runs");
    for (const id of finance.slice(20, 26)) {
      const record = [...scim.users.values()].find((u) => u["externalId"] === id);
      assert.equal(record?.["active"], false, "a leaver is disabled");
    }
  } finally {
    await scim.close();
    await h.close();
  }
});
