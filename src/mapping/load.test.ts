import assert from "node:assert/strict";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { isConnectorError } from "../errors.ts";
import { deletionLimit, leavePolicy } from "./definition.ts";
import { loadMapping, parseMapping } from "./load.ts";
import { EXAMPLE } from "./test-support.ts";

const SECRET = "s3cr3t-token-value";
const env = { ASSETS_SCIM_TOKEN: SECRET };

function failure(
  text: string,
  options: { env: Record<string, string> } = { env },
): { source: string; problem: string; message: string } {
  try {
    parseMapping(text, "assets.yaml", options);
  } catch (err) {
    assert.ok(isConnectorError(err) && err.code === "MAPPING_INVALID", String(err));
    const params = err.params as { source: string; problem: string };
    return { ...params, message: err.message };
  }
  assert.fail("expected MAPPING_INVALID");
}

describe("mapping loader", () => {
  it("loads the documented example file as written, with defaults filled in", async () => {
    const dir = await mkdtemp(join(tmpdir(), "mapping-"));
    const file = join(dir, "assets.yaml");
    await writeFile(file, EXAMPLE);
    const mapping = await loadMapping(file, { env });
    assert.equal(mapping.name, "assets");
    assert.deepEqual(mapping.source.users, { memberOf: ["Finance", "IT Support"], includeDisabled: false });
    assert.deepEqual(mapping.match, ["userName"]);
    assert.equal(mapping.attributes["name.givenName"], "[givenName]");
    assert.deepEqual(mapping.target, { type: "scim", url: "http://127.0.0.1:8080/scim/v2", token: SECRET });
    assert.equal(mapping.onLeave, "disable");
    assert.equal(mapping.deletionThreshold, 500);
  });

  it("loads JSON with the same schema and line numbers", () => {
    const json = JSON.stringify(
      {
        name: "assets",
        source: { users: { assignedTo: "app-1" } },
        match: ["userName"],
        attributes: { userName: "[mail]" },
        target: { type: "file", path: "out.csv", format: "xml" },
      },
      null,
      2,
    );
    const error = failure(json);
    assert.equal(
      error.source,
      `assets.yaml:${json.split("\n").findIndex((l) => l.includes('"format"')) + 1} target.format`,
    );
    assert.match(error.problem, /"csv", "jsonl"/);
  });

  const cases: Array<[string, (text: string) => string, string, RegExp]> = [
    [
      "an unknown top-level key",
      (t) => t.replace("onLeave: disable", "onLeve: disable"),
      "19 onLeve",
      /unknown key onLeve/,
    ],
    [
      "an unknown key in the target",
      (t) => t.replace("  token:", "  tokn:"),
      "18 target.tokn",
      /unknown key tokn/,
    ],
    [
      "an invalid onLeave value",
      (t) => t.replace("onLeave: disable", "onLeave: remove"),
      "19 onLeave",
      /"disable"/,
    ],
    [
      "a match attribute that is not mapped",
      (t) => t.replace("match: [userName]", "match: [email]"),
      "7 match.0",
      /email is not in attributes/,
    ],
    [
      "a missing required key",
      (t) => t.replace("  type: scim\n", "  type: file\n"),
      "15 target.path",
      /is required/,
    ],
    [
      "a bad target URL",
      (t) => t.replace("http://127.0.0.1:8080/scim/v2", "not a url"),
      "17 target.url",
      /http\(s\) URL/,
    ],
    ["an empty expression", (t) => t.replace('"[surname]"', '""'), "11 attributes.name.familyName", /empty/],
    [
      "both memberOf and assignedTo",
      (t) => t.replace("    # or assignedTo: <enterprise app object id>", "    assignedTo: app"),
      "5 source.users.assignedTo",
      /either memberOf or assignedTo/,
    ],
  ];
  for (const [what, edit, where, problem] of cases) {
    it(`names the line and field of ${what}`, () => {
      const error = failure(edit(EXAMPLE));
      assert.equal(error.source, `assets.yaml:${where}`);
      assert.match(error.problem, problem);
    });
  }

  it("says a present value has the wrong type rather than that it is missing", () => {
    const error = failure(
      EXAMPLE.replace("    # or filter: scoping clauses", "    includeDisabled: yes please"),
    );
    assert.equal(error.source, "assets.yaml:6 source.users.includeDisabled");
    assert.equal(error.problem, "must be a boolean");
  });

  it("refuses an empty file and a document that is not a mapping", () => {
    assert.equal(failure("").source, "assets.yaml document");
    assert.equal(failure("- name: assets\n").problem, "must be an object");
  });

  it("names the line of a clause with a bad operator inside a scoping filter", () => {
    const text = EXAMPLE.replace(
      '    memberOf: ["Finance", "IT Support"]   # groups by name or id; nested members included\n',
      "    filter:\n      - - property: department\n          operator: EQUALS\n          value: Sales\n        - property: jobTitle\n          operator: CONTAINS\n          value: x\n",
    );
    const error = failure(text);
    assert.equal(error.source, "assets.yaml:9 source.users.filter.0.1.operator");
  });

  it("reports a YAML syntax error with its line", () => {
    assert.match(failure("name: assets\nsource: [unclosed\n").source, /^assets\.yaml:\d+$/);
  });

  it("refuses a duplicated key with its line", () => {
    assert.equal(failure(EXAMPLE.replace("onLeave: disable", "name: again")).source, "assets.yaml:19");
  });

  // biome-ignore lint/suspicious/noTemplateCurlyInString: the ${...} syntax is what is under test
  it("substitutes ${VAR} from the environment and keeps $${ literal", () => {
    const mapping = parseMapping(
      EXAMPLE.replace('"[id]"', () => '"Join(\\"$${x}\\", [id])"'),
      "assets.yaml",
      { env },
    );
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the ${...} syntax is what is under test
    assert.equal(mapping.attributes["externalId"], 'Join("${x}", [id])');
    assert.equal(mapping.target.type === "scim" && mapping.target.token, SECRET);
  });

  it("names a missing environment variable and its line", () => {
    const error = failure(EXAMPLE, { env: {} });
    assert.equal(error.source, "assets.yaml:18 target.token");
    assert.match(error.problem, /ASSETS_SCIM_TOKEN is not set/);
  });

  it("never shows a substituted secret in an error", () => {
    const error = failure(
      EXAMPLE.replace("  token:", "  oauth: {tokenUrl: x, clientId: a, clientSecret: b}\n  token:"),
      {
        env,
      },
    );
    assert.equal(error.source, "assets.yaml:18 target.oauth.tokenUrl");
    assert.ok(!error.message.includes(SECRET) && !JSON.stringify(error).includes(SECRET));
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the ${...} syntax is what is under test
    const url = failure(EXAMPLE.replace("http://127.0.0.1:8080/scim/v2", "${ASSETS_SCIM_TOKEN}"), { env });
    assert.ok(!JSON.stringify(url).includes(SECRET));
  });

  it("resolves onLeave per reason from a single value or an object", () => {
    assert.deepEqual(leavePolicy("disable"), {
      outOfScope: "disable",
      disabled: "disable",
      softDeleted: "disable",
      hardDeleted: "delete",
    });
    assert.equal(leavePolicy("ignore").hardDeleted, "ignore");
    assert.deepEqual(leavePolicy({ disabled: "ignore" }), {
      outOfScope: "disable",
      disabled: "ignore",
      softDeleted: "disable",
      hardDeleted: "delete",
    });
  });

  it("takes the deletion threshold as a count or a percentage", () => {
    const mapping = parseMapping(`${EXAMPLE}deletionThreshold: 10%\n`, "assets.yaml", { env });
    assert.equal(deletionLimit(mapping.deletionThreshold, 250), 25);
    assert.equal(deletionLimit(7, 250), 7);
    assert.equal(failure(`${EXAMPLE}deletionThreshold: lots\n`).source, "assets.yaml:20 deletionThreshold");
    assert.equal(failure(`${EXAMPLE}deletionThreshold: 100.5%\n`).source, "assets.yaml:20 deletionThreshold");
  });
});
