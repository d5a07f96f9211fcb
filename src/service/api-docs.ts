/**
 * The human-readable API reference, rendered on the server from the OpenAPI document so it cannot drift
 * from it. One static page: no script, no external asset; its only style is inline and allowed by hash.
 */
import { createHash } from "node:crypto";

interface Operation {
  summary?: string;
  tags?: string[];
  "x-role"?: string;
  parameters?: { name: string; in: string; required?: boolean; schema?: unknown }[];
  requestBody?: { content?: Record<string, { schema?: unknown }> };
  responses?: Record<string, { description?: string; content?: Record<string, { schema?: unknown }> }>;
}

const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};
/** Every text and attribute value goes through here: summaries and schemas are data, never markup. */
export const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => ESCAPES[c]!);

const STYLE =
  "body{font-family:system-ui,sans-serif;max-width:70rem;margin:auto;padding:1rem}" +
  "section{border-top:1px solid #ccc;padding:.5rem 0}pre{background:#f4f4f4;padding:.5rem;overflow:auto}" +
  "code.m{font-weight:bold}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2rem .4rem}";

/** No script at all, nothing from elsewhere, the one inline style by its hash, no framing or forms. */
export const API_DOCS_HEADERS = {
  "content-security-policy": `default-src 'none'; style-src 'sha256-${createHash("sha256").update(STYLE).digest("base64")}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
};

const pre = (value: unknown) => `<pre>${escapeHtml(JSON.stringify(value, null, 2))}</pre>`;

function renderOperation(method: string, path: string, op: Operation): string {
  const parts = [
    `<section id="${escapeHtml(`${method}-${path}`)}"><h3><code class="m">${escapeHtml(method.toUpperCase())}</code> <code>${escapeHtml(path)}</code></h3>`,
    `<p>${escapeHtml(op.summary ?? "")}</p><p>Role: <code>${escapeHtml(op["x-role"] ?? "")}</code></p>`,
  ];
  if (op.parameters && op.parameters.length > 0) {
    const rows = op.parameters.map(
      (p) =>
        `<tr><td><code>${escapeHtml(p.name)}</code></td><td>${escapeHtml(p.in)}</td><td>${p.required ? "yes" : "no"}</td><td>${pre(p.schema)}</td></tr>`,
    );
    parts.push(
      `<h4>Parameters</h4><table><tr><th>Name</th><th>In</th><th>Required</th><th>Schema</th></tr>${rows.join("")}</table>`,
    );
  }
  for (const [type, media] of Object.entries(op.requestBody?.content ?? {})) {
    parts.push(`<h4>Request body (${escapeHtml(type)})</h4>${pre(media.schema)}`);
  }
  for (const [status, response] of Object.entries(op.responses ?? {})) {
    for (const [type, media] of Object.entries(response.content ?? {})) {
      parts.push(`<h4>Response ${escapeHtml(status)} (${escapeHtml(type)})</h4>${pre(media.schema)}`);
    }
  }
  parts.push("</section>");
  return parts.join("\n");
}

/** The page for an OpenAPI document: its operations grouped by their first tag, in document order. */
export function renderApiDocs(document: Record<string, unknown>): string {
  const info = document["info"] as { title?: string; version?: string } | undefined;
  const paths = (document["paths"] ?? {}) as Record<string, Record<string, Operation>>;
  const groups = new Map<string, string[]>();
  for (const [path, methods] of Object.entries(paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const tag = op.tags?.[0] ?? "other";
      groups.set(tag, [...(groups.get(tag) ?? []), renderOperation(method, path, op)]);
    }
  }
  const title = escapeHtml(`${info?.title ?? "API"} ${info?.version ?? ""}`.trim());
  const toc = [...groups.keys()].map((t) => `<li><a href="#tag-${escapeHtml(t)}">${escapeHtml(t)}</a></li>`);
  const body = [...groups].map(
    ([tag, ops]) => `<h2 id="tag-${escapeHtml(tag)}">${escapeHtml(tag)}</h2>\n${ops.join("\n")}`,
  );
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${title}</title><style>${STYLE}</style></head>
<body><h1>${title}</h1>
<p>Generated from <a href="/api/v1/openapi.json">the OpenAPI document</a>. Every route except the public ones needs <code>Authorization: Bearer &lt;token&gt;</code> of at least the role shown.</p>
<ul>${toc.join("")}</ul>
${body.join("\n")}
</body></html>
`;
}
