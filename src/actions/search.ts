/**
 * Searches: free text over name / mail / UPN (`$search`), structured filters, a limit, and an opaque
 * continuation cursor. The cursor carries only Graph's `$skiptoken` (Graph builds paging tokens, never
 * us); every other query option is derived again from the caller's input, so no cursor can add or
 * change one, and a fingerprint of those options refuses a cursor used with other filters.
 */
import { createHash } from "node:crypto";
import { z } from "zod";
import { createError, GraphError } from "../errors.ts";
import { defineAction, MEMBER_READ, USER_READ } from "./define.ts";
import { and, eq, type Filter, filterParam, hasLicense, searchAny } from "./filter.ts";
import { resolveSkus, subscribedSkus } from "./licenses.ts";
import { type DirectoryObject, resolve, USER_SELECT } from "./resolve.ts";
import { cursor, graphObject, groupRef, limit, page, ref, skuRef, text } from "./schemas.ts";
import type { ActionContext } from "./types.ts";

/** A search's first request: the collection and its query options (`$top` is the caller's limit). */
export interface SearchRequest {
  path: string;
  query: string[];
}

interface Cursor {
  /** The action that issued it. */
  a: string;
  /** Fingerprint of the request it continues. */
  f: string;
  /** Graph's `$skiptoken`. */
  s: string;
}

/** The request's collection and options but the page size, which may change from page to page. */
function fingerprint(request: SearchRequest): string {
  const options = request.query.filter((o) => !o.startsWith("$top="));
  return createHash("sha256")
    .update(`${request.path}?${options.join("&")}`)
    .digest("base64url")
    .slice(0, 22);
}

/** The cursor of the page after the one `request` returned with `nextLink`. */
export function encodeCursor(action: string, request: SearchRequest, nextLink: string): string {
  const skipToken = new URL(nextLink, "https://graph.invalid").searchParams.get("$skiptoken");
  if (!skipToken) {
    throw createError("INTERNAL", { detail: `Graph's next page link has no $skiptoken: ${nextLink}` });
  }
  const c: Cursor = { a: action, f: fingerprint(request), s: skipToken };
  return Buffer.from(JSON.stringify(c)).toString("base64url");
}

const invalidCursor = (action: string, problem: string, cause?: unknown) =>
  createError("CURSOR_INVALID", { action, problem }, cause === undefined ? {} : { cause });

/** The URL of the page `value` continues, or CURSOR_INVALID when it is not a cursor of this request. */
export function continueRequest(action: string, request: SearchRequest, value: string): string {
  let c: unknown;
  try {
    c = JSON.parse(Buffer.from(value, "base64url").toString("utf8"));
  } catch {
    c = undefined;
  }
  const keys = c && typeof c === "object" ? Object.keys(c).sort().join(",") : "";
  const { a, f, s } = (keys === "a,f,s" ? c : {}) as Partial<Cursor>;
  if (typeof a !== "string" || typeof f !== "string" || typeof s !== "string" || s === "") {
    throw invalidCursor(action, "it is not a nextCursor this connector issued");
  }
  if (a !== action) throw invalidCursor(action, "it was issued by another search");
  if (f !== fingerprint(request)) {
    throw invalidCursor(action, "it was issued for other filters (or another group)");
  }
  return `${request.path}?${[...request.query, `$skiptoken=${encodeURIComponent(s)}`].join("&")}`;
}

interface ODataPage {
  value: DirectoryObject[];
  "@odata.nextLink"?: string;
}

/** One page of the request (or of the cursor's continuation of it), as items plus the next cursor. */
async function searchPage(
  ctx: ActionContext,
  action: string,
  request: SearchRequest,
  input: { cursor?: string | undefined },
): Promise<{ items: DirectoryObject[]; nextCursor?: string }> {
  const url = input.cursor
    ? continueRequest(action, request, input.cursor)
    : `${request.path}?${request.query.join("&")}`;
  let body: ODataPage;
  try {
    body = await ctx.graph.get<ODataPage>(url, { advanced: true });
  } catch (err) {
    // Graph refuses a page token it did not issue, or one too old, as an expired one.
    if (input.cursor && err instanceof GraphError && err.graphCode === "Directory_ExpiredPageToken") {
      throw invalidCursor(
        action,
        "Graph refused its page token (expired or altered); start the search again",
        err,
      );
    }
    throw err;
  }
  const next = body["@odata.nextLink"];
  return { items: body.value, ...(next ? { nextCursor: encodeCursor(action, request, next) } : {}) };
}

const userFilters = {
  query: ref("search text", 200).optional().describe("Free text matched against name, mail and UPN"),
  department: text(64).optional().describe("Exact department"),
  enabled: z.boolean().optional().describe("Only enabled (true) or disabled (false) accounts"),
  userType: z.enum(["Member", "Guest"]).optional(),
  license: skuRef.optional().describe("Only users holding this SKU (skuId or part number)"),
};

type UserFilterInput = { [K in keyof typeof userFilters]?: z.output<(typeof userFilters)[K]> };

/** The `$filter` / `$search` options for the user filters given; undefined pieces are left out. */
async function userQuery(ctx: ActionContext, f: UserFilterInput): Promise<string[]> {
  const clauses: Filter[] = [];
  if (f.department !== undefined) clauses.push(eq("department", f.department));
  if (f.enabled !== undefined) clauses.push(eq("accountEnabled", f.enabled));
  if (f.userType !== undefined) clauses.push(eq("userType", f.userType));
  if (f.license !== undefined) {
    const [sku] = resolveSkus(await subscribedSkus(ctx), [f.license]);
    clauses.push(hasLicense(sku!.skuId));
  }
  const options: string[] = [];
  if (clauses.length > 0) options.push(filterParam(and(...clauses)));
  if (f.query !== undefined) {
    options.push(
      `$search=${encodeURIComponent(searchAny(["displayName", "mail", "userPrincipalName"], f.query))}`,
    );
  }
  return options;
}

export const searchUsers = defineAction({
  name: "search-users",
  summary: "Search users by text (name, mail, UPN) and filters (department, enabled, user type, licence)",
  write: false,
  permissions: USER_READ,
  input: z.object({ ...userFilters, limit, cursor }).strict(),
  output: page(graphObject),
  async run(ctx, input) {
    const options = await userQuery(ctx, input);
    const query = [...options, `$top=${input.limit}`, `$select=${USER_SELECT}`];
    return searchPage(ctx, "search-users", { path: "/users", query }, input);
  },
});

const memberInput = z
  .object({
    group: groupRef,
    type: z
      .enum(["user", "group", "servicePrincipal", "device", "orgContact"])
      .optional()
      .describe("Only members of this type"),
    ...userFilters,
    limit,
    cursor,
  })
  .strict();

type MemberInput = z.output<typeof memberInput>;

/** The members path: user filters only make sense on users, so they imply the user cast. */
function membersPath(groupId: string, rel: "members" | "transitiveMembers", input: MemberInput): string {
  const userOnly =
    input.department !== undefined ||
    input.enabled !== undefined ||
    input.userType !== undefined ||
    input.license !== undefined;
  if (userOnly && input.type !== undefined && input.type !== "user") {
    const problems = "type: department, enabled, userType and license filters apply to users only";
    throw createError("INPUT_INVALID", {
      action: `search-${rel === "members" ? "" : "transitive-"}group-members`,
      problems,
    });
  }
  const type = input.type ?? (userOnly ? "user" : undefined);
  return `/groups/${groupId}/${rel}${type ? `/microsoft.graph.${type}` : ""}`;
}

async function memberPage(
  ctx: ActionContext,
  action: string,
  rel: "members" | "transitiveMembers",
  input: MemberInput,
) {
  const group = await resolve(ctx, "group", input.group);
  const path = membersPath(group.id, rel, input);
  const query = [...(await userQuery(ctx, input)), `$top=${input.limit}`];
  const result = await searchPage(ctx, action, { path, query }, input);
  return { group, result };
}

export const searchGroupMembers = defineAction({
  name: "search-group-members",
  summary: "Search a group's direct members by text and filters",
  write: false,
  permissions: MEMBER_READ,
  input: memberInput,
  output: page(graphObject),
  async run(ctx, input) {
    return (await memberPage(ctx, "search-group-members", "members", input)).result;
  },
});

const pathStep = z.object({ id: z.string(), displayName: z.string().nullable() });

export const searchTransitiveGroupMembers = defineAction({
  name: "search-transitive-group-members",
  summary:
    "Search a group's members including nested groups' members, each with the path of groups it came through",
  write: false,
  permissions: MEMBER_READ,
  input: memberInput,
  output: page(graphObject.extend({ path: z.array(pathStep) })),
  async run(ctx, input) {
    const { group, result } = await memberPage(
      ctx,
      "search-transitive-group-members",
      "transitiveMembers",
      input,
    );
    const parents = await nestingTree(ctx, group);
    return { ...result, items: result.items.map((m) => ({ ...m, path: pathTo(parents, group.id, m.id) })) };
  },
});

type PathStep = z.output<typeof pathStep>;

/**
 * Walks the group's nesting breadth-first and records, for every member, the group it was first
 * reached through (so the path is a shortest one). Cycles are cut by the visited set.
 */
async function nestingTree(ctx: ActionContext, root: DirectoryObject): Promise<Map<string, PathStep>> {
  const parentOf = new Map<string, PathStep>();
  const visited = new Set<string>([root.id]);
  let level: PathStep[] = [{ id: root.id, displayName: (root["displayName"] as string | null) ?? null }];
  while (level.length > 0) {
    const next: PathStep[] = [];
    for (const g of level) {
      for await (const p of ctx.graph.pages<DirectoryObject>(
        `/groups/${g.id}/members?$select=id,displayName&$top=999`,
      )) {
        for (const m of p.value) {
          if (!parentOf.has(m.id) && m.id !== root.id) parentOf.set(m.id, g);
          const isGroup = m["@odata.type"] === "#microsoft.graph.group";
          if (isGroup && !visited.has(m.id)) {
            visited.add(m.id);
            next.push({ id: m.id, displayName: (m["displayName"] as string | null) ?? null });
          }
        }
      }
    }
    level = next;
  }
  return parentOf;
}

/** Root first, ending with the group that holds the member directly. */
function pathTo(parentOf: Map<string, PathStep>, rootId: string, memberId: string): PathStep[] {
  const path: PathStep[] = [];
  for (let at = parentOf.get(memberId); at; at = at.id === rootId ? undefined : parentOf.get(at.id)) {
    path.unshift(at);
    if (path.length > 1000) break;
  }
  return path;
}

export const SEARCH_ACTIONS = [searchUsers, searchGroupMembers, searchTransitiveGroupMembers];
