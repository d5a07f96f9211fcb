/**
 * The README's mapping, as written there, against the demo tenant and the SCIM service the demo starts:
 * `demo --scim-port … --scim-token-env ASSETS_SCIM_TOKEN`, then `mapping run assets.yaml`. Only the port
 * differs (a free one, since 8080 may be taken here), and the demo does not change the tenant meanwhile.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { openStore } from "../src/index.ts";
import { runCliChild } from "./support/child-process.ts";

const main = fileURLToPath(new URL("../src/cli/main.ts", import.meta.url));
const README = fileURLToPath(new URL("../README.md", import.meta.url));
const TOKEN = "readme-scim-token-5d21";

type Obj = Record<string, unknown>;

/** The YAML block of the README's mapping section. */
function readmeMapping(): string {
  const text = readFileSync(README, "utf8");
  const section = text.slice(text.indexOf("## Mappings"));
  const block = /```yaml\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(block?.startsWith("name: assets"), "the README's Mappings section shows the assets mapping");
  return block as string;
}

/** Every user the SCIM service holds, read page by page as any client would. */
async function scimUsers(url: string): Promise<Obj[]> {
  const users: Obj[] = [];
  for (let start = 1; ; ) {
    const res = await fetch(`${url}/Users?startIndex=${start}&count=100`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    assert.equal(res.status, 200);
    const page = (await res.json()) as { Resources?: Obj[]; totalResults: number };
    users.push(...(page.Resources ?? []));
    start += page.Resources?.length ?? 0;
    if (!page.Resources?.length || start > page.totalResults) return users;
  }
}

test("the README's mapping, run as written on the demo tenant, makes the SCIM service hold its mapped members", async () => {
  const dir = mkdtempSync(join(tmpdir(), "mapping-readme-"));
  const store = join(dir, "entra-connector-demo.db");
  const env = { ASSETS_SCIM_TOKEN: TOKEN };
  const demo = spawn(
    process.execPath,
    [
      main,
      "--store",
      store,
      "demo",
      "--scim-port",
      "0",
      "--scim-token-env",
      "ASSETS_SCIM_TOKEN",
      "--interval",
      "24d",
      "--size",
      "s",
    ],
    { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } },
  );
  demo.stderr.resume();
  const lines = createInterface({ input: demo.stdout });
  try {
    let url: string | undefined;
    for await (const line of lines) {
      url ??= /SCIM 2\.0 service at (\S+)/.exec(line)?.[1];
      if (/^full sync succeeded/.test(line)) break;
    }
    assert.ok(url, "the demo started the SCIM service");
    const file = join(dir, "assets.yaml");
    writeFileSync(file, readmeMapping().replace("http://127.0.0.1:8080/scim/v2", url));
    const run = await runCliChild(["mapping", "run", file, "--store", store], env, undefined);
    assert.equal(run.code, 0);

    // What the mapping must make of the store: enabled members (nested ones included) of both groups.
    const db = await openStore(store, { mustExist: true });
    const expected = new Map<string, Obj>();
    try {
      for (const name of ["Finance", "IT Support"]) {
        const group = await db.query.resolve(name, "group");
        assert.ok(group, `the demo tenant has ${name}`);
        for (const grant of await db.query.grants({ objectId: group.id })) {
          if (grant.relation !== "group:member" || grant.principalType !== "user") continue;
          const user = (await db.mappings.users([grant.principalId]))[0]?.data as Obj;
          if (user["accountEnabled"] !== true) continue;
          const name: Obj = {};
          if (user["givenName"] != null) name["givenName"] = user["givenName"];
          if (user["surname"] != null) name["familyName"] = user["surname"];
          expected.set(String(user["id"]), {
            userName: String(user["mail"] ?? user["userPrincipalName"]).toLowerCase(),
            ...(Object.keys(name).length > 0 ? { name } : {}),
            displayName: user["displayName"],
            active: true,
            externalId: user["id"],
          });
        }
      }
    } finally {
      await db.close();
    }
    assert.ok(expected.size > 0, "the groups have enabled members");
    const held = new Map(
      (await scimUsers(url)).map(({ id: _id, meta: _meta, schemas: _schemas, ...rest }) => [
        String(rest["externalId"]),
        rest,
      ]),
    );
    const sorted = (m: Map<string, Obj>) => [...m].sort(([a], [b]) => a.localeCompare(b));
    assert.deepEqual(sorted(held), sorted(expected));
  } finally {
    lines.close();
    const gone = new Promise((resolve) => demo.once("exit", resolve));
    if (demo.exitCode === null && demo.signalCode === null) demo.kill("SIGINT");
    await gone;
    rmSync(dir, { recursive: true, force: true });
  }
});
