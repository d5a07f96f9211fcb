/**
 * The apps stream: enterprise apps (service principals, managed identities among them), who is
 * assigned to each (`appRoleAssignedTo`) and their owners.
 *
 * A full load lists apps with their owners expanded (Graph shows at most 20: an app showing 20 has
 * its owners read apart), then reads every app's assignments: apps listed again with
 * `appRoleAssignedTo` expanded, and the assignments of the apps whose expansion was cut either read
 * apart, one request each, or, when more are cut than the `$batch` calls in flight carry at once
 * (160), from the principals' side: apps, groups and users listed with their own
 * `appRoleAssignments` expanded, a few dozen pages where hundreds of apps are cut.
 *
 * Graph (v1.0) has no delta for app role assignments, and an assignment added or removed does not
 * make its app appear in the delta. So an incremental run re-reads owners and assignments of the apps
 * the delta reports (an owner change is recorded on the app; a new or restored app brings its
 * assignments), then learns the other assignment and owner changes from the directory audit log
 * (./app-audit.ts) and re-reads only the apps it names. The full re-read of every app's assignments
 * (as a full load does, swept by a store round) remains for when the log cannot say: no watermark yet,
 * one older than the log keeps, the log unreadable (403, failing; then at most once per
 * `appAssignmentsEveryMs`), and once a day as a safety net. The pass's position is its own checkpoint
 * (`app-assignments`), written after the edges it covers, so a crash repeats work and never skips it.
 */
import { chooseProperties, selectParam } from "../../directory/properties.ts";
import {
  APP_PROPERTIES,
  APP_REQUIRED,
  appOwnerEdge,
  appResource,
  assignmentEdge,
} from "../../directory/service-principals.ts";
import { GraphError } from "../../errors.ts";
import type { Edge, Relation } from "../../store/types.ts";
import { commitPage, commitSweep, type StreamContext } from "../context.ts";
import { metered } from "../meter.ts";
import type { SyncOptions } from "../options.ts";
import { PARTITION_USERS_FROM, partitionFilter, UPN_PARTITIONS } from "../partitions.ts";
import {
  BATCH_SIZE,
  collect,
  EXPAND_CAP,
  expanded,
  PART_ROWS,
  type RelatedRead,
  type RelatedResult,
  readRelated,
  relatedEdges,
} from "../related.ts";
import {
  countObjects,
  type DeltaPageContent,
  type PageContent,
  type Raw,
  readByIds,
  splitRemoved,
  type TrackedSpec,
} from "../tracked-stream.ts";
import {
  ASSIGNMENTS_STREAM,
  type AssignmentsPosition,
  type AuditedChanges,
  assignmentsCheckpoint,
  auditedChanges,
  auditForbidden,
  planAssignments,
  readAssignmentsPosition,
  seenAfter,
} from "./app-audit.ts";

export { ASSIGNMENTS_STREAM } from "./app-audit.ts";

const ASSIGNMENT_SELECT = "id,appRoleId,principalId,principalType";
/** Read from the principal's side, an assignment must also say which app it is to. */
const PRINCIPAL_ASSIGNMENT_SELECT = `${ASSIGNMENT_SELECT},resourceId`;
/** What an app role can be assigned to. */
const PRINCIPALS = ["servicePrincipals", "groups", "users"] as const;
const USERS_COUNT = "/users/$count";
type Expansion = "appRoleAssignedTo" | "owners";
/** Relationships that ride on an apps listing, one per listing: at most 20 each (docs/graph.md#query-options). */
const EXPAND: Record<Expansion, string> = {
  appRoleAssignedTo: `$expand=appRoleAssignedTo($select=${ASSIGNMENT_SELECT})`,
  owners: "$expand=owners($select=id)",
};

export function appsStream(options: SyncOptions): TrackedSpec {
  const props = chooseProperties("--properties app", APP_PROPERTIES, options.properties?.app, APP_REQUIRED);
  const withOwners = options.kinds.has("owners");
  const select = selectParam(props);
  const relations: Relation[] = withOwners ? ["app:assigned", "app:owner"] : ["app:assigned"];

  const assignmentsRead = (id: string): RelatedRead => ({
    objectId: id,
    name: "assignments",
    path: `/servicePrincipals/${id}/appRoleAssignedTo?$select=${ASSIGNMENT_SELECT}&$top=999`,
  });
  const ownersRead = (id: string): RelatedRead => ({
    objectId: id,
    name: "owners",
    path: `/servicePrincipals/${id}/owners?$select=id&$top=999`,
  });
  const edgeParts = (reads: RelatedRead[], ctx: StreamContext) => {
    const toEdges = (r: RelatedResult) =>
      r.items.map((item) =>
        r.read.name === "owners"
          ? appOwnerEdge(r.read.objectId, item)
          : assignmentEdge(r.read.objectId, item),
      );
    return relatedEdges(ctx.client, reads, toEdges, ctx.meter, {
      concurrency: ctx.concurrency,
      signal: ctx.signal,
      partSize: PART_ROWS,
    });
  };
  /**
   * This incremental run's state: what the audit log said before the delta round (`pending`), the apps
   * the store held then (`known`, grown by the round), and the apps whose owners or assignments the
   * round re-read after the log was read (`covered`: the log's entries about them need no read again).
   */
  let pending:
    | { startedAt: number; position: AssignmentsPosition; full: boolean; changes?: AuditedChanges }
    | undefined;
  let known: Set<string> | undefined;
  const covered = { owners: new Set<string>(), assignments: new Set<string>() };
  /** One relationship from listed apps' expansion; the apps it cut are read apart. */
  async function* fromListing(
    listed: Raw[],
    property: Expansion,
    ctx: StreamContext,
  ): AsyncGenerator<Edge[]> {
    const found =
      property === "owners"
        ? expanded(listed, property, appOwnerEdge, ownersRead)
        : expanded(listed, property, assignmentEdge, assignmentsRead);
    if (found.edges.length > 0) yield found.edges;
    yield* edgeParts(found.reads, ctx);
  }
  /**
   * Every app the store holds. Only those: one created since the listing or delta round that loaded
   * the others comes with the next round.
   */
  async function knownApps(ctx: StreamContext): Promise<Set<string>> {
    const known = new Set<string>();
    for await (const app of ctx.store.query.resources({ kind: "app" })) known.add(app.id);
    return known;
  }
  /**
   * Every stored app's assignments: apps listed with `appRoleAssignedTo` expanded, then those the
   * expansion cut from the principals' side when that is cheaper than reading each apart.
   */
  async function* assignments(ctx: StreamContext): AsyncGenerator<Edge[]> {
    const known = await knownApps(ctx);
    const cut: string[] = [];
    const path = `/servicePrincipals?$select=id&$top=999&${EXPAND.appRoleAssignedTo}`;
    for await (const page of metered(ctx.meter, path, ctx.client.pages<Raw>(path, { signal: ctx.signal }))) {
      const listed = page.value.filter((raw) => known.has(String(raw["id"])));
      const found = expanded(listed, "appRoleAssignedTo", assignmentEdge, assignmentsRead);
      if (found.edges.length > 0) yield found.edges;
      for (const read of found.reads) cut.push(read.objectId);
    }
    // Reads apart that fit the `$batch` calls in flight at once take one round trip: listing every
    // principal, a few dependent pages, would save requests but make the run slower.
    if (cut.length > BATCH_SIZE * ctx.concurrency && (yield* fromPrincipals(new Set(cut), ctx))) return;
    yield* edgeParts(cut.map(assignmentsRead), ctx);
  }
  /**
   * The assignments to `apps` read from the assigned side: apps, groups and users listed side by side
   * with their own `appRoleAssignments` expanded (a user's also shows its groups', kept out by
   * principal id; a principal showing 20 is read apart). That costs a listing of every principal
   * however few apps were cut, so it gives up (false, having yielded nothing) once it has spent as
   * many requests as reading each app apart would, or when principals may not be read (403).
   * Users on a large tenant are listed in the partitions a users load uses (src/sync/partitions.ts),
   * kept only when the ids seen match `$count` before and after; otherwise it gives up too.
   */
  async function* fromPrincipals(
    apps: ReadonlySet<string>,
    ctx: StreamContext,
  ): AsyncGenerator<Edge[], boolean> {
    const ofPrincipal = (principalId: string, items: readonly Raw[]): Edge[] =>
      items
        .filter((a) => String(a["principalId"]) === principalId && apps.has(String(a["resourceId"])))
        .map((a) => assignmentEdge(String(a["resourceId"]), a));
    const found: Edge[] = [];
    const users = new Set<string>();
    let spent = 0;
    let stop = false;
    const list = async (collection: (typeof PRINCIPALS)[number], filter: string): Promise<void> => {
      const path = `/${collection}?${filter}$select=id&$top=999&$expand=appRoleAssignments($select=${PRINCIPAL_ASSIGNMENT_SELECT})`;
      for await (const page of metered(
        ctx.meter,
        path,
        ctx.client.pages<Raw>(path, { signal: ctx.signal }),
      )) {
        const reads: RelatedRead[] = [];
        for (const principal of page.value) {
          const id = String(principal["id"]);
          if (collection === "users") users.add(id);
          const items = principal["appRoleAssignments"];
          if (Array.isArray(items) && items.length < EXPAND_CAP) found.push(...ofPrincipal(id, items));
          else
            reads.push({
              objectId: id,
              name: "assignments",
              path: `/${collection}/${id}/appRoleAssignments?$select=${PRINCIPAL_ASSIGNMENT_SELECT}&$top=999`,
            });
        }
        spent += 1 + reads.length;
        if (spent > apps.size) stop = true;
        if (stop) return;
        const options = { concurrency: ctx.concurrency, signal: ctx.signal };
        for await (const r of readRelated(ctx.client, reads, ctx.meter, options)) {
          found.push(...ofPrincipal(r.read.objectId, r.items));
        }
      }
    };
    try {
      const before = await countObjects(ctx, USERS_COUNT);
      spent += 1;
      const partitioned =
        before !== undefined && before >= (options.partitionUsersFrom ?? PARTITION_USERS_FROM);
      const queue: [(typeof PRINCIPALS)[number], string][] = [
        ["servicePrincipals", ""],
        ["groups", ""],
        ...(partitioned
          ? UPN_PARTITIONS.map((chars): ["users", string] => ["users", `${partitionFilter(chars)}&`])
          : [["users", ""] as ["users", string]]),
      ];
      const reader = async () => {
        for (let next = queue.shift(); next !== undefined && !stop; next = queue.shift()) await list(...next);
      };
      // Pages of ids and assignments are light for Graph's budget and for memory: as many in flight as
      // the stream's `$batch` calls, which the incremental run would otherwise spend on apps read apart.
      await Promise.all(Array.from({ length: ctx.concurrency }, reader));
      if (stop) return false;
      if (partitioned && (users.size !== before || (await countObjects(ctx, USERS_COUNT)) !== before))
        return false;
    } catch (err) {
      stop = true;
      if (err instanceof GraphError && err.httpStatus === 403) return false;
      throw err;
    }
    for (let i = 0; i < found.length; i += PART_ROWS) yield found.slice(i, i + PART_ROWS);
    return true;
  }

  return {
    stream: "apps",
    kind: "app",
    select: `${select};owners=${withOwners}`,
    listPath: `/servicePrincipals?$select=${select}&$top=999${withOwners ? `&${EXPAND.owners}` : ""}`,
    deltaPath: `/servicePrincipals/delta?$select=${select}`,
    sweepRelations: relations,

    async *listPage(values, ctx): AsyncGenerator<PageContent> {
      yield { upserts: values.map((raw) => appResource(raw, props)) };
      if (!withOwners) return;
      for await (const add of fromListing(values, "owners", ctx)) yield { edges: { add } };
    },

    async *afterList(ctx): AsyncGenerator<PageContent> {
      // Every change after this moment is in the audit log read from here (less the overlap).
      const startedAt = Date.now();
      for await (const add of assignments(ctx)) yield { edges: { add } };
      await savePosition(ctx, { readAt: startedAt, auditedTo: startedAt, seen: [] });
    },

    async deltaPage(page, ctx): Promise<DeltaPageContent> {
      const { live, deletes } = splitRemoved(page, "app");
      const upserts = live.map((raw) => appResource(raw, props));
      const ids = live.map((raw) => String(raw["id"]));
      if (ids.length === 0) return { upserts, deletes };
      // Owners of the changed apps, and assignments of those new or restored since the last run (no
      // audit entry need name them), listed by id with the relationship expanded, fifteen to a request.
      known ??= await knownApps(ctx);
      const fresh = ids.filter((id) => !known?.has(id));
      const add: Edge[] = [];
      for (const [property, objectIds] of [
        ["owners", withOwners ? ids : []],
        ["appRoleAssignedTo", fresh],
      ] as const) {
        if (objectIds.length === 0) continue;
        const listed = await readByIds(
          ctx,
          objectIds,
          (filter) => `/servicePrincipals?${filter}&$select=id&${EXPAND[property]}`,
        );
        add.push(...(await collect(fromListing(listed, property, ctx))));
        // Read after the audit log was: its entries about these apps are covered.
        for (const id of objectIds) (property === "owners" ? covered.owners : covered.assignments).add(id);
      }
      for (const id of fresh) known.add(id);
      // A fresh app has no assignments stored: adding them is exact without a sweep.
      if (!withOwners) return { upserts, deletes, edges: { add } };
      return { upserts, deletes, edges: { add }, rescan: { relations: ["app:owner"], objectIds: ids } };
    },

    async beforeDelta(ctx) {
      known = undefined;
      covered.owners.clear();
      covered.assignments.clear();
      pending = undefined;
      const startedAt = Date.now();
      const position = readAssignmentsPosition(await ctx.store.sync.checkpoint(ASSIGNMENTS_STREAM));
      const plan = planAssignments(position, options, startedAt);
      if (plan.kind === "full") {
        pending = { startedAt, position, full: true };
        return;
      }
      try {
        const changes = await auditedChanges(ctx, plan.since, new Set(position.seen));
        pending = { startedAt, position, full: false, changes };
      } catch (err) {
        if (!(err instanceof GraphError) || ctx.signal?.aborted) throw err;
        ctx.observer.warning?.(
          "apps",
          auditForbidden(err)
            ? "the directory audit log needs AuditLog.Read.All: app role assignments are re-read in full instead (under watch at most once per --app-assignments-every)"
            : `the directory audit log could not be read (${err.message}): app role assignments are re-read in full instead`,
        );
        pending = { startedAt, position, full: assignmentsDue(position, options, startedAt) };
      }
    },

    async afterDelta(ctx) {
      if (!pending) return;
      const { startedAt, position, changes } = pending;
      if (changes) {
        const not = (covered: Set<string>) => (id: string) => !covered.has(id);
        if (changes.restored.length > 0) {
          const stored = await knownApps(ctx);
          const add = changes.restored.filter((e) => stored.has(e.objectId));
          if (add.length > 0) await commitPage(ctx, { stream: "apps", edges: { add } });
        }
        await replaceEdges(ctx, "app:assigned", [...changes.assignments].filter(not(covered.assignments)));
        if (withOwners) await replaceEdges(ctx, "app:owner", [...changes.owners].filter(not(covered.owners)));
        await savePosition(ctx, { ...position, auditedTo: startedAt, seen: seenAfter(changes) });
        return;
      }
      if (!pending.full) return;
      const round = await ctx.store.sync.newRound();
      for await (const add of assignments(ctx)) {
        await commitPage(ctx, { stream: "apps", round, edges: { add } });
      }
      await commitSweep(ctx, { stream: "apps", round, relations: ["app:assigned"] });
      // After the sweep, not with it: the apps checkpoint is the delta link's, rewritten by every delta
      // page; a crash in between only repeats the pass.
      await savePosition(ctx, { readAt: startedAt, auditedTo: startedAt, seen: [] });
    },
  };

  /** Re-reads one relationship of `apps` (those the store holds) and replaces exactly their edges. */
  async function replaceEdges(ctx: StreamContext, relation: Relation, apps: readonly string[]) {
    if (apps.length === 0) return;
    const known = await knownApps(ctx);
    const ids = apps.filter((id) => known.has(id));
    if (ids.length === 0) return;
    const round = await ctx.store.sync.newRound();
    const reads = ids.map(relation === "app:owner" ? ownersRead : assignmentsRead);
    for await (const add of edgeParts(reads, ctx)) {
      await commitPage(ctx, { stream: "apps", round, edges: { add } });
    }
    await commitSweep(ctx, { stream: "apps", round, relations: [relation], objectIds: ids });
  }
}

async function savePosition(ctx: StreamContext, position: AssignmentsPosition): Promise<void> {
  await ctx.store.sync.applyPage({
    runId: ctx.runId,
    stream: ASSIGNMENTS_STREAM,
    checkpoint: assignmentsCheckpoint(position),
  });
}

/**
 * Whether a run whose audit read failed re-reads every app's assignments: always without an interval;
 * otherwise when the last full pass started at least an interval ago, or is unknown (never ran, or in
 * the future after a clock change) — a pass too many costs requests, one too few would delay events.
 */
export function assignmentsDue(
  position: AssignmentsPosition,
  options: Pick<SyncOptions, "appAssignmentsEveryMs">,
  now: number,
): boolean {
  const every = options.appAssignmentsEveryMs ?? 0;
  if (every <= 0) return true;
  const readAt = position.readAt;
  if (readAt === undefined || readAt > now) return true;
  return now - readAt >= every;
}
