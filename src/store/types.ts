/**
 * The store contract: what sync, actions, triggers, the CLI and the service read and write.
 * `openStore(urlOrPath)` returns an implementation (SQLite via `node:sqlite` today, PostgreSQL later);
 * nothing outside src/store knows which.
 *
 * The contract, in short:
 * - ONE TRANSACTION PER PAGE. The sync engine hands each page it fetched to `sync.applyPage` together
 *   with the checkpoint that follows it. The store compares the page with what it holds, writes the
 *   objects and relationships, the stream's checkpoint and the change events the page causes, all in
 *   one transaction, and returns those events. A crash leaves either the whole page or none of it, so
 *   resuming from `sync.checkpoint(stream)` loses nothing and emits nothing twice.
 * - The store decides what changed, never the caller: an upsert of an unknown object is `created`, of a
 *   known one with different data `updated` (with a property diff old → new), of identical data nothing.
 *   Adding a relationship that exists, or removing one that does not, is a no-op. Re-applying a page is
 *   therefore idempotent.
 * - Deleting an object also removes every relationship that names it (as object or principal), each
 *   with its `removed` event, so no relationship outlives an object the store deleted.
 * - A page's final state wins: an object named twice counts once (its last version, or the merge), and
 *   what a page both writes and removes is kept.
 * - Full resync = mark and sweep: take `sync.newRound()`, pass it as `round` on every page of the full
 *   listing (the store marks what it saw, changed or not), then `sync.reconcile` deletes what the round
 *   did not see in the given scope, with events. Rows written outside a round are never swept by it.
 * - Everything is async so a networked adapter (PostgreSQL) fits the same interface.
 */

/** Kinds of resource in the identity model (docs/architecture.md#the-store-contract). `app` = service principal (incl. managed identities). */
export type ResourceKind = "user" | "group" | "app" | "role" | "license";
export const RESOURCE_KINDS: readonly ResourceKind[] = ["user", "group", "app", "role", "license"];

/**
 * Direct relationships as Graph reports them; each one is a grant of an entitlement on `objectId` to
 * `principalId`. `app:assigned` carries the app role id as `qualifier` (the default access role
 * `00000000-0000-0000-0000-000000000000` when none): its entitlement is `app:assigned` for the default
 * role and `app:role:<appRoleId>` otherwise.
 *
 * | relation         | objectId           | principalId            |
 * |------------------|--------------------|------------------------|
 * | group:member     | group id           | member (user/group/sp…)|
 * | group:owner      | group id           | owner                  |
 * | app:assigned     | service principal  | user/group/sp assigned |
 * | app:owner        | service principal  | owner                  |
 * | role:assigned    | role definition id | principal (active)     |
 * | role:eligible    | role definition id | principal (PIM)        |
 * | license:assigned | skuId              | user id                |
 */
export type Relation =
  | "group:member"
  | "group:owner"
  | "app:assigned"
  | "app:owner"
  | "role:assigned"
  | "role:eligible"
  | "license:assigned";
export const RELATIONS: readonly Relation[] = [
  "group:member",
  "group:owner",
  "app:assigned",
  "app:owner",
  "role:assigned",
  "role:eligible",
  "license:assigned",
];

/** Graph's directoryObject type without the `#microsoft.graph.` prefix: "user", "group", "servicePrincipal", … */
export type PrincipalType = string;

export interface Resource {
  kind: ResourceKind;
  id: string;
  /** The synced Graph object, as Graph returned it (with `id`). */
  data: Record<string, unknown>;
}

export interface Edge {
  relation: Relation;
  objectId: string;
  principalId: string;
  /** Required when adding; ignored when removing (the key is relation, objectId, principalId, qualifier). */
  principalType?: PrincipalType;
  /** App role id for `app:assigned`; "" otherwise. Part of the key. */
  qualifier?: string;
  /** Extra facts about the assignment (assignment id, schedule…); stored, not diffed. */
  data?: Record<string, unknown>;
}

/** An opaque, versioned sync position for one stream; the sync engine owns its `data` shape. */
export interface Checkpoint {
  /** Version of the checkpoint format; the engine refuses versions it does not know. */
  version: number;
  data: Record<string, unknown>;
}

export interface StoredCheckpoint extends Checkpoint {
  stream: string;
  /** Incremented on each save: how many pages this stream has committed. */
  revision: number;
  updatedAt: string;
}

export interface PageInput {
  runId: string;
  /** Stream name, e.g. "users", "groups", "apps", "app-assignments:<appId>". */
  stream: string;
  /** Saved with the page; omit to leave the stream's checkpoint as it is. */
  checkpoint?: Checkpoint;
  /** Set during a full listing (see `newRound`): marks every row the page names as seen. */
  round?: number;
  upserts?: Resource[];
  /** Shallow-merge `data` into the stored object instead of replacing it (delta with `return=minimal`). */
  merge?: boolean;
  /**
   * `soft`: deleted but restorable (Graph `@removed.reason: "changed"`). An object (or edge) a page both
   * upserts (adds) and deletes (removes) is kept: the write wins.
   */
  deletes?: Deletion[];
  edges?: { add?: Edge[]; remove?: Edge[] };
  /** Requests / RU / throttle figures for this page, added to the run's stats for `stream`. */
  stats?: Partial<Omit<StreamStats, "objects" | "changes">>;
  /**
   * false: the result's `events` stays empty (its `changes` still counts them). A sync whose observer
   * does not read them skips building, and on the store's thread copying, a million at xl.
   */
  returnEvents?: boolean;
}

export interface Deletion {
  kind: ResourceKind;
  id: string;
  soft?: boolean;
  /**
   * With `soft`: the object as deleted items hold it, kept as the tombstone's data. An object the store
   * does not hold yet (already deleted before the first sync, or created and deleted between two) is
   * then kept too, as a tombstone, without an event: no consumer ever saw it, so nothing changed for
   * anyone. A restore later reports it `created`, as for any tombstone.
   */
  data?: Record<string, unknown>;
}

export type ChangeType = "created" | "updated" | "deleted" | "added" | "removed";

export interface PropertyChange {
  property: string;
  old: unknown;
  new: unknown;
}

/**
 * One entry of the outbox. For `created`/`updated` `data` is the new object; for `deleted` the last
 * known object plus Graph's `"@removed": {reason: "changed" | "deleted"}` ("changed" = soft-deleted,
 * restorable; a restore is a new `created`); for `added`/`removed` the edge (`relation`, `entitlement`,
 * `principalId`, `principalType`, `qualifier`) while `kind`/`resourceId` name the object it is on.
 */
export interface ChangeEvent {
  /** Outbox order: strictly increasing, gap-free per store. */
  seq: number;
  /** Globally unique, stable id (for consumers' de-duplication). */
  id: string;
  type: ChangeType;
  kind: ResourceKind;
  resourceId: string;
  data: Record<string, unknown>;
  changes?: PropertyChange[];
  runId: string;
  tenantId: string;
  detectedAt: string;
}

export interface PageResult {
  events: ChangeEvent[];
  /** How many events the page made: `events.length`, without reading them. */
  changes: number;
  /** Objects and relationships the page named (changed or not). */
  objects: number;
}

export interface ReconcileInput {
  runId: string;
  stream: string;
  round: number;
  /** Delete objects of these kinds not seen in the round. */
  kinds?: ResourceKind[];
  /** Remove relationships of these relations not seen in the round (limited to `objectIds` when given). */
  relations?: Relation[];
  objectIds?: string[];
  checkpoint?: Checkpoint;
}

/** What the sync engine writes through. */
export interface SyncWriter {
  applyPage(page: PageInput): Promise<PageResult>;
  checkpoint(stream: string): Promise<StoredCheckpoint | undefined>;
  checkpoints(): Promise<StoredCheckpoint[]>;
  /** A fresh round number for a full listing; keep it in the checkpoint to resume the same round. */
  newRound(): Promise<number>;
  reconcile(input: ReconcileInput): Promise<PageResult>;
  /**
   * For a first load: when the store holds no relationships yet, drops the indexes only reads use, so
   * the load appends instead of updating them row by row; true when it did. Reads stay exact meanwhile,
   * only slower. `restoreReadIndexes` builds them again (also done whenever the store opens for writing).
   */
  deferReadIndexes(): Promise<boolean>;
  restoreReadIndexes(): Promise<void>;
}

export type RunKind = "full" | "incremental";
/** `interrupted`: the run's process ended without finishing it (killed, crashed), noticed by a later run. */
export type RunStatus = "running" | "succeeded" | "failed" | "cancelled" | "interrupted";

/**
 * How long a run's lease lasts unrenewed. Generous, so a live run whose event loop is held up (a wait
 * of up to 10 s for the write lock, a large page) never lapses; a killed run on this host is noticed at
 * once by its process id, one elsewhere (another host, a replaced container) once this has passed.
 */
export const RUN_LEASE_MS = 60_000;

export interface StreamStats {
  objects: number;
  changes: number;
  requests: number;
  resourceUnits: number;
  throttleWaitMs: number;
  errors: number;
}

export interface RunRecord {
  id: string;
  /** Increasing per store; `diff` and the CLI accept it in place of the id. */
  number: number;
  kind: RunKind;
  status: RunStatus;
  tenantId: string;
  startedAt: string;
  finishedAt?: string;
  error?: string;
  /** Per stream (resource); totals are the sum. */
  stats: Record<string, StreamStats>;
  /** Outbox range this run produced: events with firstSeq ≤ seq ≤ lastSeq. */
  firstSeq?: number;
  lastSeq?: number;
  /** When a later run found this one `interrupted` (its process gone or its lease lapsed). */
  interruptedAt?: string;
  /** Runs this one found interrupted when it started: it continues from their last committed pages. */
  resumedFrom?: string[];
}

export interface RunLog {
  /**
   * Records a new `running` run holding a lease for `leaseMs` (default `RUN_LEASE_MS`), and first marks
   * `interrupted` every earlier running run whose process is gone or whose lease lapsed. The run is the
   * store's sync lock: while another run renews its lease, this refuses with STORE_SYNC_RUNNING naming
   * its holder (checked and recorded in one write transaction, so of two starts only one wins).
   */
  start(input: { kind: RunKind; tenantId: string; streams?: string[]; leaseMs?: number }): Promise<RunRecord>;
  /** Extends a running run's lease by `leaseMs` from now: call every third of it while the run lives. */
  renew(runId: string, leaseMs?: number): Promise<void>;
  /** Adds (not sets) figures for one stream; errors are counted, messages go in `finish`. */
  record(runId: string, stream: string, stats: Partial<StreamStats>): Promise<void>;
  finish(
    runId: string,
    outcome: { status: Exclude<RunStatus, "running" | "interrupted">; error?: string },
  ): Promise<RunRecord>;
  /** By id or run number. */
  get(idOrNumber: string): Promise<RunRecord | undefined>;
  /** Newest first; `before`: only runs numbered below it (paging). */
  list(options?: { limit?: number; before?: number }): Promise<RunRecord[]>;
}

/** The change-event outbox, read by triggers and `diff`. */
export interface Outbox {
  read(options: { afterSeq?: number; limit?: number; untilSeq?: number }): Promise<ChangeEvent[]>;
  /** The newest event's seq (0 when the outbox is empty). */
  head(): Promise<number>;
  /** Durable read position of a named consumer (0 when new). */
  position(consumer: string): Promise<number>;
  /** Moves a consumer's position forward (never back). */
  commit(consumer: string, seq: number): Promise<void>;
}

/**
 * A trigger subscription as the store keeps it: `data` is opaque here (src/triggers owns its shape,
 * as the sync engine owns checkpoints). Its read position is `outbox.position("subscription:<id>")`.
 */
export interface SubscriptionRecord {
  id: string;
  data: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
}

/** An event a subscription gave up delivering, kept until replayed. */
export interface DeadLetter {
  subscription: string;
  /** The outbox seq of the change that caused it (replay goes in this order). */
  seq: number;
  eventId: string;
  event: Record<string, unknown>;
  error: string;
  at: string;
}

/** One try at handing an event to a subscription's target; the store keeps the recent ones. */
export interface DeliveryAttempt {
  subscription: string;
  seq: number;
  eventId: string;
  eventType: string;
  /** `retrying`: failed, tried again later; `failed`: failed and dead-lettered (or a one-off test failed). */
  status: "delivered" | "retrying" | "failed";
  /** The receiver's answer, when there was one (webhooks). */
  httpStatus?: number;
  /** 1 for the first try of this event. */
  attempt: number;
  /** Why it failed; never holds a secret. */
  error?: string;
  at: string;
}

/** Who delivers a subscription, until when (renewed while that watcher runs). */
export interface SubscriptionLease {
  subscription: string;
  owner: string;
  acquiredAt: string;
  /** Milliseconds since the epoch. */
  expiresAt: number;
}

/** Trigger subscriptions, their dead letters and delivery leases. */
export interface Subscriptions {
  /** Creates or replaces. */
  put(id: string, data: Record<string, unknown>): Promise<SubscriptionRecord>;
  get(id: string): Promise<SubscriptionRecord | undefined>;
  list(): Promise<SubscriptionRecord[]>;
  /** Also drops its dead letters; true when it existed. */
  remove(id: string): Promise<boolean>;
  /** Keyed by (subscription, eventId): dead-lettering the same event again replaces it. */
  deadLetter(entry: Omit<DeadLetter, "at">): Promise<void>;
  deadLetters(subscription: string): Promise<DeadLetter[]>;
  clearDeadLetter(subscription: string, eventId: string): Promise<void>;
  /** Keeps the latest attempts per subscription only (older ones are dropped as new ones come). */
  recordAttempt(entry: Omit<DeliveryAttempt, "at">): Promise<void>;
  /** Newest first. */
  attempts(subscription: string, limit: number): Promise<DeliveryAttempt[]>;
  /**
   * Takes or renews the lease atomically: granted (to `owner`, until now + `ttlMs`) when there is none,
   * `owner` holds it, it has expired, or its holder is `takeOverFrom`. Returns the lease as it now
   * stands: someone else's when not granted.
   */
  lease(input: {
    subscription: string;
    owner: string;
    ttlMs: number;
    takeOverFrom?: string;
    /** The time the lease is taken at, in ms since the epoch; default now (tests pass their own clock). */
    now?: number;
  }): Promise<SubscriptionLease>;
  /** Ends `owner`'s lease (no-op when another holds it). */
  releaseLease(subscription: string, owner: string): Promise<void>;
}

export interface AuditInput {
  action: string;
  target: string;
  /** Secrets are removed by the caller; the store also masks keys that look secret. */
  input: unknown;
  result: "succeeded" | "failed" | "dry-run";
  detail?: unknown;
  requestId?: string;
  at?: string;
}

export interface AuditEntry extends AuditInput {
  seq: number;
  at: string;
}

export interface AuditLog {
  record(entry: AuditInput): Promise<AuditEntry>;
  list(options?: { afterSeq?: number; limit?: number; action?: string }): Promise<AuditEntry[]>;
}

/** How a principal holds a grant: directly, or through a chain of nested groups (outermost last). */
export interface GrantPath {
  how: "direct" | "group";
  /** Group ids from the principal's direct group to the group holding the grant. */
  via: string[];
}

export interface Grant {
  relation: Relation;
  /** e.g. "group:member", "app:assigned", "app:role:<appRoleId>", "role:eligible". */
  entitlement: string;
  objectKind: ResourceKind;
  objectId: string;
  objectName?: string;
  principalId: string;
  principalType: PrincipalType;
  principalName?: string;
  qualifier: string;
  /** For an app role assignment: the role's display name (or value) from the app's `appRoles`, when known. */
  appRoleName?: string;
  path: GrantPath;
}

export interface ResourceQuery {
  kind: ResourceKind;
  /** Property equality (string-compared), e.g. { department: "Sales", accountEnabled: "true" }. */
  where?: Record<string, string>;
  /** Case-insensitive substring of the display name or principal name / mail / app id. */
  text?: string;
  includeDeleted?: boolean;
  limit?: number;
  /** Keyset paging: only resources after this one in the listing's order (display name, then id). */
  after?: { displayName: string | null; id: string };
}

export type ExportKind =
  | "users"
  | "groups"
  | "memberships"
  | "owners"
  | "apps"
  | "app-assignments"
  | "roles"
  | "role-assignments"
  | "licenses"
  | "license-assignments";

export interface Queries {
  resources(query: ResourceQuery): AsyncIterable<Resource>;
  /**
   * By id, or by userPrincipalName / mail / displayName / appId; a name several objects share throws
   * OBJECT_AMBIGUOUS listing them (id and principal name).
   */
  resolve(ref: string, kind?: ResourceKind): Promise<Resource | undefined>;
  /** Effective grants: on an object (group/app/role/licence) or held by a principal, direct and via nested groups. */
  grants(filter: { objectId: string } | { principalId: string }): Promise<Grant[]>;
  /**
   * What changed going from run A to run B: the events after A's last up to B's last. When A is the
   * later run, the same events undone, newest first: created ↔ deleted, added ↔ removed, and updates
   * with old and new swapped.
   */
  diff(runA: string, runB: string): Promise<ChangeEvent[]>;
  /** CSV header of an export: fixed for relationships; `id` then every property seen for objects. */
  exportColumns(kind: ExportKind): Promise<string[]>;
  /** Rows in the issue-4 export shapes, ordered by ids, streamed. */
  export(kind: ExportKind): AsyncIterable<Record<string, unknown>>;
}

/** What a provisioning run did (or would do) with one record. */
export type MappingAction = "create" | "update" | "disable" | "delete" | "skip";
/** `held`: a disable or delete the deletion threshold kept back until a run allows deletes. */
export type MappingResult = "ok" | "failed" | "held";
export type MappingRunKind = "full" | "incremental" | "user";

/** One record's outcome in a mapping run, as `mapping logs` shows it. */
export interface MappingLogEntry {
  /** Increasing per store: where the next page of the log starts (`afterSeq`). */
  seq: number;
  runId: string;
  userId: string;
  action: MappingAction;
  result: MappingResult;
  /** Why: the plan's reason (`inScope`, `changed`, `outOfScope`, `upToDate`, `blankKey`…). */
  reason: string;
  targetId?: string;
  /** For updates: attribute path, old → new. */
  changes?: { path: string; old: unknown; new: unknown }[];
  /** The target's answer when the call failed, or the skip's detail. */
  detail?: string;
  at: string;
}

/** A source user's record in the target, and the record as last written or read there. */
export interface MappingLink {
  userId: string;
  targetId: string;
  attributes: Record<string, unknown>;
}

/** A record to try again on a later run, not before `nextAttemptAt` (ms since the epoch). */
export interface MappingRetry {
  userId: string;
  attempts: number;
  nextAttemptAt: number;
  error: string;
}

/** A target a mapping stopped calling, and until when (ms since the epoch). */
export interface MappingQuarantine {
  reason: string;
  since: string;
  until: number;
  /** How many times in a row: the wait grows with it. */
  count: number;
}

export interface MappingRun {
  id: string;
  /** Increasing per store; `mapping logs --run N` takes it. */
  number: number;
  mapping: string;
  kind: MappingRunKind;
  status: "running" | "succeeded" | "failed" | "quarantined";
  startedAt: string;
  finishedAt?: string;
  /** Records per action and result, e.g. { "create.ok": 3, "update.failed": 1 }. */
  counts: Record<string, number>;
  error?: string;
}

/** One batch of a run's outcomes, written at once. */
export interface MappingCommit {
  mapping: string;
  runId: string;
  entries: Omit<MappingLogEntry, "seq" | "runId" | "at">[];
  /** Links to write (targetId set) or drop (targetId null, after a delete). */
  links?: { userId: string; targetId: string | null; attributes?: Record<string, unknown> }[];
  /** Retries to set, or to clear (attempts 0). */
  retries?: MappingRetry[];
  /** The outbox seq the mapping has now taken into account (never moves back). */
  cursor?: number;
}

/** A mapping kept by the service; `data` is the service's (the document, sealed secrets, settings). */
export interface MappingDefinition {
  name: string;
  data: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
}

/** A source user as a mapping sees it: soft-deleted users included; a hard-deleted one is absent. */
export interface MappingSubject {
  id: string;
  data: Record<string, unknown>;
  deleted?: "soft";
}

/**
 * What mappings (src/mapping) keep per mapping name: the outbox position they have taken into account,
 * each user's record in the target, retries, the target's quarantine, and the per-record log of runs.
 * `commit` writes log rows, links, retries and the cursor in ONE transaction, so a run killed anywhere
 * resumes from its last commit and finds, through links or the target itself, what it already did.
 */
export interface MappingStore {
  startRun(input: { mapping: string; kind: MappingRunKind }): Promise<MappingRun>;
  finishRun(
    runId: string,
    outcome: { status: Exclude<MappingRun["status"], "running">; error?: string },
  ): Promise<MappingRun>;
  /** By id or number; newest first when listing. */
  run(idOrNumber: string): Promise<MappingRun | undefined>;
  runs(mapping: string, options?: { limit?: number }): Promise<MappingRun[]>;
  commit(input: MappingCommit): Promise<void>;
  /** 0 when the mapping never ran. */
  cursor(mapping: string): Promise<number>;
  links(mapping: string, userIds?: readonly string[]): Promise<MappingLink[]>;
  linkCount(mapping: string): Promise<number>;
  /** Retries due at `dueBy` (ms since the epoch), or all when omitted. */
  retries(mapping: string, dueBy?: number): Promise<MappingRetry[]>;
  quarantine(mapping: string): Promise<MappingQuarantine | undefined>;
  setQuarantine(mapping: string, quarantine: MappingQuarantine | undefined): Promise<void>;
  log(
    mapping: string,
    options?: { runId?: string; userId?: string; result?: MappingResult; limit?: number; afterSeq?: number },
  ): Promise<MappingLogEntry[]>;
  /** Users by id, soft-deleted ones included; ids the store does not hold are left out. */
  users(ids: readonly string[]): Promise<MappingSubject[]>;
  /** The mappings the service keeps for this store's connection, by name. */
  definitions(): Promise<MappingDefinition[]>;
  definition(name: string): Promise<MappingDefinition | undefined>;
  /** Creates or replaces (keeping `createdAt`). */
  putDefinition(name: string, data: Record<string, unknown>): Promise<MappingDefinition>;
  /** The definition only: runs, log, links and cursor stay, so a mapping defined again carries on. */
  removeDefinition(name: string): Promise<boolean>;
}

export interface Store {
  readonly location: string;
  readonly sync: SyncWriter;
  readonly runs: RunLog;
  readonly outbox: Outbox;
  readonly audit: AuditLog;
  readonly query: Queries;
  readonly subscriptions: Subscriptions;
  readonly mappings: MappingStore;
  /**
   * Throws STORE_REPLACED when the file at `location` is no longer the one this store opened (deleted,
   * or another file put in its place): long-running jobs call it on each round, so they stop instead of
   * writing to a file no other process reads. No-op for an in-memory store.
   */
  verifyFile(): Promise<void>;
  close(): Promise<void>;
}
