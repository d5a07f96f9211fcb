/** The target, groups and notify sections of a mapping: every mistake names its line, field and fix. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isConnectorError } from "../src/errors.ts";
import { parseMapping } from "../src/mapping/index.ts";

const HEAD = `name: m
source: { users: { memberOf: [Staff] } }
match: [userName]
attributes: { userName: "[userPrincipalName]" }
`;

function load(tail: string, env: Record<string, string> = {}) {
  return parseMapping(HEAD + tail, "m.yaml", { env });
}

function refused(tail: string, message: RegExp) {
  assert.throws(
    () => load(tail),
    (err: unknown) => {
      assert.ok(isConnectorError(err, "MAPPING_INVALID"), String(err));
      assert.match(err.message, message);
      return true;
    },
  );
}

describe("target and notify sections", () => {
  it("names the line and field of a bad target setting", () => {
    refused(
      "target: { type: file, path: out.csv, format: xlsx }\n",
      /m\.yaml:5 target\.format: must be one of "csv", "jsonl"/,
    );
    refused(
      "target:\n  type: sql\n  path: a.db\n  url: postgres://x/y\n  table: t\n",
      /m\.yaml:\d target\.url: give exactly one of url or path/,
    );
    refused(
      "target:\n  type: scim\n  url: https://x.test/scim\n  token: t\n  concurrency: 0\n",
      /m\.yaml:9 target\.concurrency/,
    );
    refused(
      "target:\n  type: http\n  requests:\n    create: { method: POST, url: https://x.test/u }\n",
      /m\.yaml:7 target\.requests\.update: is required/,
    );
    refused(
      "target:\n  type: http\n  auth: { type: bearer }\n  requests: { create: { method: POST, url: u }, update: { method: PUT, url: u } }\n",
      /target\.auth\.token: is required/,
    );
  });

  it("keeps attribute placeholders in HTTP request templates, while auth takes the environment", () => {
    const mapping = load(
      `target:
  type: http
  auth: { type: bearer, token: "\${API_TOKEN}" }
  requests:
    create: { method: POST, url: "https://x.test/u", body: { email: "\${userName}" } }
    update: { method: PUT, url: "https://x.test/u/\${id}" }
`,
      { API_TOKEN: "tok-1" },
    );
    assert.equal(mapping.target.type, "http");
    if (mapping.target.type !== "http") return;
    assert.deepEqual(mapping.target.auth, { type: "bearer", token: "tok-1" });
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the placeholder must survive loading as written
    assert.equal(mapping.target.requests.update.url, "https://x.test/u/${id}");
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the placeholder must survive loading as written
    assert.deepEqual(mapping.target.requests.create.body, { email: "${userName}" });
  });

  it("takes a groups section only with a SCIM target, with defaults for the names", () => {
    refused(
      "target: { type: file, path: out.csv, format: csv }\ngroups: { include: [Finance] }\n",
      /m\.yaml:6 groups: needs a scim target/,
    );
    const mapping = load(
      "target: { type: scim, url: https://x.test/scim, token: t }\ngroups: { include: [Finance] }\n",
    );
    assert.deepEqual(mapping.groups, {
      include: ["Finance"],
      displayName: "[displayName]",
      externalId: "[id]",
    });
  });

  it("addresses extension attributes by their URN", () => {
    const mapping = parseMapping(
      `name: m
source: { users: { memberOf: [Staff] } }
match: [userName]
attributes:
  userName: "[userPrincipalName]"
  urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department: "[department]"
target: { type: scim, url: https://x.test/scim, token: t }
`,
      "m.yaml",
    );
    assert.ok("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department" in mapping.attributes);
  });
});
