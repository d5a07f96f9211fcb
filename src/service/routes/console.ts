/**
 * The web console: static files (plain ES modules, no build step) under /console/. Every path below
 * /console/ that is not an asset answers the page, whose script routes on the path; the data comes
 * only through the authenticated API, so these files are public.
 */
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import type { FastifyReply } from "fastify";
import { z } from "zod";
import { createError } from "../../errors.ts";
import { route } from "../route.ts";

const ROOT = fileURLToPath(new URL("../console/", import.meta.url));
const TYPES: Record<string, string> = {
  js: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
  svg: "image/svg+xml",
  html: "text/html; charset=utf-8",
};
/** Scripts and styles from this origin only; no inline script, no framing, no referrer (a sign-in link is a secret). */
const HEADERS = {
  "content-security-policy":
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cache-control": "no-cache",
};

export function consoleRoutes() {
  const page = {
    method: "GET" as const,
    access: "public" as const,
    summary: "The web console",
    hidden: true,
    handler: async ({ reply }: { reply: FastifyReply }) => {
      reply.headers(HEADERS).type(TYPES["html"]!);
      return readFile(`${ROOT}index.html`);
    },
  };
  return [
    route({ ...page, path: "/", handler: ({ reply }) => reply.redirect("/console/", 302) }),
    route({ ...page, path: "/console", handler: ({ reply }) => reply.redirect("/console/", 302) }),
    route({ ...page, path: "/console/" }),
    route({ ...page, path: "/console/*" }),
    route({
      ...page,
      path: "/console/assets/:file",
      summary: "The web console's scripts and styles",
      params: z.object({ file: z.string().max(64) }),
      handler: async ({ params, reply }) => {
        const match = /^[a-z][\w-]*\.(js|css|svg)$/.exec(params.file);
        if (!match)
          throw createError("API_ROUTE_NOT_FOUND", { method: "GET", path: `/console/assets/${params.file}` });
        const body = await readFile(`${ROOT}${params.file}`).catch(() => {
          throw createError("API_ROUTE_NOT_FOUND", { method: "GET", path: `/console/assets/${params.file}` });
        });
        reply.headers(HEADERS).type(TYPES[match[1]!]!);
        return body;
      },
    }),
  ];
}
