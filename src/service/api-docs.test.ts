import assert from "node:assert/strict";
import { test } from "node:test";
import { renderApiDocs } from "./api-docs.ts";

test("the API reference escapes summaries and schemas instead of letting them inject markup", () => {
  const page = renderApiDocs({
    info: { title: "t", version: "1" },
    paths: {
      "/a/{id}": {
        get: {
          summary: '<img src=x onerror="alert(1)">',
          tags: ["things"],
          "x-role": "viewer",
          parameters: [{ name: "id", in: "path", required: true, schema: { type: "string" } }],
          responses: { "200": { content: { "application/json": { schema: { description: "</pre><b>" } } } } },
        },
      },
    },
  });
  assert.doesNotMatch(page, /<img|<\/pre><b>/);
  assert.ok(page.includes("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;"));
  assert.ok(page.includes('<h2 id="tag-things">things</h2>'));
  assert.ok(page.includes("<code>viewer</code>"));
});
