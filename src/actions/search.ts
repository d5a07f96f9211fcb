/**
 * Searches: free text over name / mail / UPN (`$search`), structured filters, a limit, and an opaque
 * continuation cursor. The cursor carries Graph's nextLink query (Graph builds paging links, never us)
 * bound to the collection it pages, so a forged cursor cannot point a search anywhere else.
 */
import { z } from "zod";
import { createError } from "../errors.ts";
import { defineAction, MEMBER_READ, USER_READ } from "./define.ts";
import { and, eq, type Filter, filterParam, hasLicense, searchAny } from "./filter.ts";
import { resolveSkus, subscribedSkus } from "./licenses.ts";
import { type DirectoryObject, resolve, USER_SELECT } from "./resolve.ts";
import { cursor, graphObject, groupRef, limit, page, ref, skuRef, text } from "./schemas.ts";
import type { ActionContext } from "./types.ts";

interface Cursor {
  a: string;
  p: string;
  q: string;
}

export function encodeCursor(action: string, path: string, nextLink: string): string {
  const q = nextLink.includes("?") ? nextLink.slice(nextLink.indexOf("?") + 1) : "";
  return Buffer.from(JSON.stringify({ a: action, p: path, q } satisfies Cursor)).toString("base64url");
}

/** The request a cursor continues, or CURSOR_INVALID when it is not this search's cursor. */
export function decodeCursor(action: string, path: string, value: string): string {
  let c: Partial<Cursor>;
  try {
    c = JSON.parse(Buffer.from(value, "base64url").toString("utf8")) as Partial<Cursor>;
  } catch {
    throw createError("CURSOR_INVALID", { action, problem: "it is not a cursor this connector issued" });
  }
  if (c?.a !== action || typeof c.q !== "string") {
    throw createError("CURSOR_INVALID", { action, problem: "it was issued by another action" });
  }
  if (c.p !== path) throw createError("CURSOR_INVALID", { action, problem: "it pages a different group" });
  return `${path}?${c.q}`;
}

interface ODataPage {
  value: DirectoryObject[];
  "@odata.nextLink"?: string;
}

/** One page of `path` (or of the cursor's continuation), as items plus the next cursor. */
async function searchPage(
  ctx: ActionContext,
  action: string,
  path: string,
  query: string[],
  input: { cursor?: string | undefined },
): Promise<{ items: DirectoryObject[]; nextCursor?: string }> {
  const url = input.cursor ? decodeCursor(action, path, input.cursor) : `${path}?${query.join("&")}`;
  const body = await ctx.graph.get<ODataPage>(url, { advanced: true });
  const next = body["@odata.nextLink"];
  return { items: body.value, ...(next ? { nextCursor: encodeCursor(action, path, next) } : {}) };
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
    const options = input.cursor ? [] : await userQuery(ctx, input);
    return searchPage(
      ctx,
      "search-users",
      "/users",
      [...options, `$top=${input.limit}`, `$select=${USER_SELECT}`],
      input,
    );
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
  const options = input.cursor ? [] : await userQuery(ctx, input);
  const result = await searchPage(ctx, action, path, [...options, `$top=${input.limit}`], input);
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
