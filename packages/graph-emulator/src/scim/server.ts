/**
 * A local SCIM 2.0 service provider for the demo and the tests: SCIMMY's (filtering, PATCH and Bulk
 * semantics, validation and discovery are SCIMMY's, not ours) behind Express via scimmy-routers, holding
 * Users (core + enterprise extension) and Groups in memory. Every request must carry the bearer token;
 * faults can be injected in front of it and every request is counted.
 */
import { randomUUID } from "node:crypto";
import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import SCIMMY from "scimmy";
import SCIMMYRouters from "scimmy-routers";

export type Stored = Record<string, unknown> & { id: string; userName: string };
export type StoredGroup = Record<string, unknown> & { id: string; displayName: string };
type UserResource = InstanceType<typeof SCIMMY.Resources.User>;

/** `hang`: the request is never answered (the client's timeout ends it). */
export type Fault = "429" | "503" | "drop-before" | "drop-after" | "hang";

export interface ScimServer {
  /** Base URL, e.g. http://127.0.0.1:PORT/scim/v2 */
  url: string;
  token: string;
  /** The service's users by id (tests read and change them directly). */
  users: Map<string, Stored>;
  /** The service's groups by id. */
  groups: Map<string, StoredGroup>;
  /** Requests received, faulted ones included, in order, with the status answered (once answered). */
  requests: { method: string; path: string; status?: number }[];
  /** Faults met by every fourth request in turn (so no request fails twice in a row); empty for none. */
  faults: Fault[];
  /** A request this answers with a SCIM error (status and detail) instead of serving it. */
  refuse: ((method: string, path: string) => { status: number; detail: string } | undefined) | undefined;
  /** Forgets users, groups, requests and faults. */
  reset(): void;
  close(): Promise<void>;
}

// SCIMMY's resource handlers are global to the process: one store of users serves every server.
const users = new Map<string, Stored>();
const groups = new Map<string, StoredGroup>();

function lowerUserName(expression: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(expression).map(([attr, test]) =>
      attr.toLowerCase() === "username" && Array.isArray(test)
        ? [attr, test.map((v, i) => (i === 1 && typeof v === "string" ? v.toLowerCase() : v))]
        : [attr, test],
    ),
  );
}

type Constraints = { sortBy?: string; startIndex?: number; count?: number; totalResults?: number };

/**
 * The part of `all` a list request asks for. SCIMMY turns every record egress hands back into a schema
 * instance before it pages, so handing back all of them makes paging through N records cost N² / count.
 * It slices what it gets only when that looks like the whole list (at least `startIndex` long), so a page
 * that starts within the first `count` records is handed back with the records before it.
 */
function page<T>(all: T[], resource: { constraints?: Constraints }): T[] {
  const constraints = resource.constraints;
  if (!constraints || constraints.sortBy !== undefined || constraints.count === undefined) return all;
  const start = constraints.startIndex ?? 1;
  constraints.totalResults = all.length;
  return all.slice(start > constraints.count ? start - 1 : 0, start - 1 + constraints.count);
}

// userName is case-insensitive (RFC 7643 §4.1.1) while SCIMMY's filter compares exactly: the
// handlers give it lowered userNames on both sides and hand back the stored records.
SCIMMY.Resources.declare(SCIMMY.Resources.User.extend(SCIMMY.Schemas.EnterpriseUser, false), {
  egress: (resource: UserResource) => {
    if (resource.id) {
      const user = users.get(resource.id);
      if (!user) throw new SCIMMY.Types.Error(404, null!, `Resource ${resource.id} not found`);
      return user;
    }
    const all = [...users.values()];
    if (!resource.filter) return page(all, resource);
    // `userName eq "…"`, the lookup every match makes, without SCIMMY's copy of every record: a
    // service of 20,000 users stays fast enough for the benchmark.
    const [only, more] = resource.filter as unknown as Record<string, unknown>[];
    const test = only && !more && Object.keys(only).length === 1 ? only["userName"] : undefined;
    if (Array.isArray(test) && test.length === 2 && test[0] === "eq" && typeof test[1] === "string") {
      const wanted = test[1].toLowerCase();
      return page(
        all.filter((u) => u.userName.toLowerCase() === wanted),
        resource,
      );
    }
    const filter = new SCIMMY.Types.Filter(
      (resource.filter as unknown as Record<string, unknown>[]).map(lowerUserName) as never,
    );
    const matched = filter.match(all.map((u) => ({ ...u, userName: u.userName.toLowerCase() })));
    return page(
      matched.map((u) => users.get((u as Stored).id)!),
      resource,
    );
  },
  ingress: (resource: UserResource, instance: unknown) => {
    const data = JSON.parse(JSON.stringify(instance)) as Stored;
    const clash = [...users.values()].find(
      (u) => u.userName.toLowerCase() === data.userName.toLowerCase() && u.id !== resource.id,
    );
    if (clash) throw new SCIMMY.Types.Error(409, "uniqueness", `userName ${data.userName} is taken`);
    if (resource.id && !users.has(resource.id)) {
      throw new SCIMMY.Types.Error(404, null!, `Resource ${resource.id} not found`);
    }
    const id = resource.id ?? randomUUID();
    const stored: Stored = {
      ...data,
      id,
      meta: { resourceType: "User", created: new Date(), lastModified: new Date() },
    };
    delete (stored as Record<string, unknown>).schemas;
    users.set(id, stored);
    return stored;
  },
  degress: (resource: UserResource) => {
    if (!resource.id || !users.delete(resource.id)) {
      throw new SCIMMY.Types.Error(404, null!, `Resource ${resource.id} not found`);
    }
  },
});

type GroupResource = InstanceType<typeof SCIMMY.Resources.Group>;
SCIMMY.Resources.declare(SCIMMY.Resources.Group, {
  egress: (resource: GroupResource) => {
    if (resource.id) {
      const group = groups.get(resource.id);
      if (!group) throw new SCIMMY.Types.Error(404, null!, `Resource ${resource.id} not found`);
      return group;
    }
    const all = [...groups.values()];
    return page(resource.filter ? resource.filter.match(all) : all, resource);
  },
  ingress: (resource: GroupResource, instance: unknown) => {
    const data = JSON.parse(JSON.stringify(instance)) as StoredGroup;
    if ([...groups.values()].some((g) => g.displayName === data.displayName && g.id !== resource.id))
      throw new SCIMMY.Types.Error(409, "uniqueness", `displayName ${data.displayName} is taken`);
    const id = resource.id ?? randomUUID();
    const stored: StoredGroup = { ...data, id, meta: { resourceType: "Group" } };
    delete (stored as Record<string, unknown>).schemas;
    groups.set(id, stored);
    return stored;
  },
  degress: (resource: GroupResource) => {
    if (!resource.id || !groups.delete(resource.id))
      throw new SCIMMY.Types.Error(404, null!, `Resource ${resource.id} not found`);
  },
});

async function listen(server: Server, port = 0): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

export interface ScimServerOptions {
  /** The bearer token every request must carry: printable ASCII, no spaces. */
  token: string;
  /** Port on 127.0.0.1; 0 (default) for any free one. */
  port?: number;
}

/** Starts the service on 127.0.0.1, answering only `Authorization: Bearer <token>`. */
export async function startScimServer(options: ScimServerOptions): Promise<ScimServer> {
  const token = options.token;
  if (!/^[\x21-\x7e]+$/.test(token))
    throw new Error("the SCIM service needs a bearer token (printable, no spaces)");
  const hanging: ServerResponse[] = [];
  let count = 0;
  const state: ScimServer = {
    url: "",
    token,
    users,
    groups,
    requests: [],
    faults: [],
    refuse: undefined,
    reset() {
      users.clear();
      groups.clear();
      state.requests.length = 0;
      state.faults = [];
      state.refuse = undefined;
      count = 0;
    },
    async close() {
      for (const res of hanging.splice(0)) res.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
  const app = express();
  // SCIMMY pages only by numbers, and query strings hold text: startIndex and count become numbers here.
  app.set("query parser", (text: string) => {
    const query: Record<string, string | number> = Object.fromEntries(new URLSearchParams(text));
    for (const key of ["startIndex", "count"]) {
      if (/^\d+$/.test(String(query[key] ?? ""))) query[key] = Number(query[key]);
    }
    return query;
  });
  app.use((req, res, next) => {
    count++;
    const seen: ScimServer["requests"][number] = { method: req.method, path: req.url };
    state.requests.push(seen);
    res.on("finish", () => {
      seen.status = res.statusCode;
    });
    const refused = state.refuse?.(req.method, req.url);
    if (refused) {
      res.status(refused.status).json({
        schemas: ["urn:ietf:params:scim:api:messages:2.0:Error"],
        status: String(refused.status),
        detail: refused.detail,
      });
      return;
    }
    const faults = state.faults;
    const fault = faults.length > 0 && count % 4 === 1 ? faults[(count >> 2) % faults.length] : undefined;
    if (fault === "429") res.status(429).set("Retry-After", "0").end();
    else if (fault === "503") res.status(503).end();
    else if (fault === "drop-before") req.socket.destroy();
    else if (fault === "hang") hanging.push(res);
    else {
      if (fault === "drop-after") res.end = (() => req.socket.destroy()) as never;
      next();
    }
  });
  app.use(
    "/scim/v2",
    new SCIMMYRouters({
      type: "bearer",
      handler: (req) => {
        if (req.header("Authorization") !== `Bearer ${state.token}`)
          throw new Error(`Authorization failed for ${req.header("Authorization")}`);
        return "admin";
      },
    }),
  );
  const server = createServer(app);
  state.url = `${await listen(server, options.port)}/scim/v2`;
  return state;
}
