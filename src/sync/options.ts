/**
 * What a sync covers. Kinds name what a user thinks in (`--kinds users,groups,memberships`), not
 * streams: memberships and owners ride on the groups (and apps) streams that list their objects.
 */
import { createError } from "../errors.ts";

export type SyncKind = "users" | "groups" | "memberships" | "owners" | "apps" | "roles" | "licenses";
export const SYNC_KINDS: readonly SyncKind[] = [
  "users",
  "groups",
  "memberships",
  "owners",
  "apps",
  "roles",
  "licenses",
];

export interface PropertySelection {
  user?: string[];
  group?: string[];
  app?: string[];
}

export interface SyncOptions {
  kinds: ReadonlySet<SyncKind>;
  /** Leave out groups synced from on-premises AD (ENTRA_SKIP_AD_GROUPS). */
  skipAdGroups: boolean;
  /** Narrower `$select` per resource; the connector adds the properties it depends on. */
  properties?: PropertySelection;
  /** Load everything instead of following delta links. */
  full: boolean;
  /** `$batch` calls in flight per stream for per-object reads (default 8). */
  concurrency?: number;
  /**
   * When the directory audit log cannot be read (no AuditLog.Read.All, or failing), re-read every app's
   * assignments (`appRoleAssignedTo`: Graph v1.0 has no delta for them) at most once per this many
   * milliseconds; absent or 0 = every incremental run. `watch` sets it (10 min by default) so an idle
   * poll stays cheap; a one-off `sync` stays exact.
   */
  appAssignmentsEveryMs?: number;
  /**
   * Re-read every app's assignments at least this often even when the audit log answers (it is a
   * safety net: the log may miss an entry). Default 24 h (src/sync/streams/app-audit.ts).
   */
  appAssignmentsRelistMs?: number;
  /** How far before its watermark an audit log read starts, for entries that arrive late (default 15 min). */
  auditOverlapMs?: number;
  /** How long the tenant's audit log keeps entries (default 7 days, the shortest: no premium licence). */
  auditRetentionMs?: number;
  /**
   * Users at which a full load lists them in partitions read side by side (src/sync/partitions.ts)
   * instead of one chain of 999-user pages (default PARTITION_USERS_FROM, 10,000: below it the chain is short, and the
   * partitions' extra pages would cost more than they save).
   */
  partitionUsersFrom?: number;
}

/** `users,groups` → the set; empty or absent → every kind. Unknown names are an error naming the choices. */
export function parseKinds(text: string | undefined): Set<SyncKind> {
  if (text === undefined || text.trim() === "") return new Set(SYNC_KINDS);
  const names = text
    .split(",")
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s !== "");
  const unknown = names.filter((n) => !(SYNC_KINDS as readonly string[]).includes(n));
  if (unknown.length > 0) {
    throw createError("CONFIG_INVALID", {
      field: "--kinds",
      problem: `unknown kind ${unknown.map((u) => `"${u}"`).join(", ")}; use a comma-separated list of ${SYNC_KINDS.join(", ")}`,
    });
  }
  return new Set(names as SyncKind[]);
}

/** `user:displayName,mail;group:displayName` → per-resource property lists. */
export function parsePropertySelection(text: string | undefined): PropertySelection | undefined {
  if (text === undefined || text.trim() === "") return undefined;
  const out: PropertySelection = {};
  for (const part of text.split(";")) {
    if (part.trim() === "") continue;
    const [resource, list] = part.split(":", 2).map((s) => s.trim());
    if ((resource !== "user" && resource !== "group" && resource !== "app") || !list) {
      throw createError("CONFIG_INVALID", {
        field: "--properties",
        problem: `"${part.trim()}" is not <user|group|app>:<property>,<property>…; e.g. user:displayName,department;group:displayName`,
      });
    }
    out[resource] = list
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s !== "");
  }
  return out;
}
