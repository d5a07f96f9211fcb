import { type LatencyMode, latencyFor } from "./latency.ts";

/**
 * Realism knobs, all off by default and changeable at run time (POST /_emulator/faults):
 * latency, random transient failures (429 / 503 / 504 / connection reset) at `faultRate`,
 * replication lag (a new object is invisible by id and in lists for `replicationLagMs`),
 * the delta token lifetime the delta engine enforces, and the sizes Graph cuts expansions and delta
 * pages at.
 */
export interface FaultSettings {
  latency: LatencyMode;
  /** Share of Graph requests, 0..1, that fail transiently. */
  faultRate: number;
  /** How long a newly created object stays invisible (404 by id, missing from lists). */
  replicationLagMs: number;
  /** Delta and skip tokens older than this are refused (0 = never expire). */
  deltaTokenTtlMs: number;
  /**
   * Items an expanded relationship carries at most, with no nextLink for the rest: Graph documents 20
   * (docs/graph.md#query-options). Larger values model a service that cuts later or not at all.
   */
  expandLimit: number;
  /**
   * Objects a list page holds at most when the request has `$expand`, whatever `$top` asks (0 = `$top`
   * is honoured). Reports of real tenants say 100; Microsoft does not document a number.
   */
  expandPageCap: number;
  /** Member references a groups delta page carries at most; a larger group continues on the next page. */
  deltaMembersPerPage: number;
  /**
   * Directory audit log: an entry becomes visible this long after its change (Graph documents minutes
   * of latency and no bound), entries older than `auditRetentionMs` are gone (7 days without a
   * premium licence, 30 with P1/P2), and `auditFailStatus` (e.g. 503; 0 = off) answers every read
   * with that error.
   */
  auditLagMs: number;
  auditRetentionMs: number;
  auditFailStatus: number;
  /**
   * Whether the assignments and ownerships a deleted or restored principal loses or regains are
   * logged as their own entries (undocumented; off by default: only the delete or restore itself is).
   */
  auditImpliedChanges: boolean;
}

export const DEFAULT_FAULTS: FaultSettings = {
  latency: "none",
  faultRate: 0,
  replicationLagMs: 0,
  deltaTokenTtlMs: 0,
  expandLimit: 20,
  expandPageCap: 0,
  deltaMembersPerPage: 1000,
  auditLagMs: 0,
  auditRetentionMs: 30 * 86_400_000,
  auditFailStatus: 0,
  auditImpliedChanges: false,
};

export type InjectedFault = "throttle" | "unavailable" | "timeout" | "reset";

const FAULT_KINDS: readonly InjectedFault[] = ["throttle", "unavailable", "timeout", "reset"];

export class Faults {
  #settings: FaultSettings;
  /** Object id → epoch ms from which it is visible. */
  readonly #hiddenUntil = new Map<string, number>();
  readonly #now: () => number;
  readonly #random: () => number;

  constructor(
    settings: Partial<FaultSettings> = {},
    now: () => number = Date.now,
    random: () => number = Math.random,
  ) {
    this.#settings = validateFaults({ ...DEFAULT_FAULTS, ...settings });
    this.#now = now;
    this.#random = random;
  }

  get settings(): FaultSettings {
    return { ...this.#settings };
  }

  configure(patch: Partial<FaultSettings>): FaultSettings {
    this.#settings = validateFaults({ ...this.#settings, ...patch });
    if (this.#settings.replicationLagMs === 0) this.#hiddenUntil.clear();
    return this.settings;
  }

  /** A transient failure to inject for this request, if the dice say so. */
  pickFault(): InjectedFault | undefined {
    const rate = this.#settings.faultRate;
    if (rate <= 0 || this.#random() >= rate) return undefined;
    return FAULT_KINDS[Math.floor(this.#random() * FAULT_KINDS.length)];
  }

  delayMs(call: { write: boolean; objects: number }): number {
    return latencyFor(this.#settings.latency, call, this.#random);
  }

  /** Called after a successful create: the object replicates for `replicationLagMs`. */
  noteCreated(id: string): void {
    if (this.#settings.replicationLagMs > 0)
      this.#hiddenUntil.set(id, this.#now() + this.#settings.replicationLagMs);
  }

  /** Whether an object is still replicating (so it must look absent). Cheap when lag is off. */
  isHidden(id: string): boolean {
    if (this.#hiddenUntil.size === 0) return false;
    const until = this.#hiddenUntil.get(id);
    if (until === undefined) return false;
    if (this.#now() >= until) {
      this.#hiddenUntil.delete(id);
      return false;
    }
    return true;
  }

  /** Whether any object is replicating right now (lets list handlers skip the per-item check). */
  get anyHidden(): boolean {
    return this.#hiddenUntil.size > 0;
  }
}

/** Rejects impossible settings with a message naming the field. */
export function validateFaults(settings: FaultSettings): FaultSettings {
  if (settings.latency !== "none" && settings.latency !== "graph") {
    throw new RangeError(`latency must be "none" or "graph", got ${JSON.stringify(settings.latency)}`);
  }
  for (const key of [
    "faultRate",
    "replicationLagMs",
    "deltaTokenTtlMs",
    "expandPageCap",
    "auditLagMs",
    "auditRetentionMs",
    "auditFailStatus",
  ] as const) {
    const value = settings[key];
    if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
      throw new RangeError(`${key} must be a non-negative number, got ${JSON.stringify(value)}`);
    }
  }
  for (const key of ["expandLimit", "deltaMembersPerPage"] as const) {
    const value = settings[key];
    if (!Number.isInteger(value) || value < 1) {
      throw new RangeError(`${key} must be a whole number of at least 1, got ${JSON.stringify(value)}`);
    }
  }
  if (!Number.isInteger(settings.expandPageCap))
    throw new RangeError(`expandPageCap must be a whole number, got ${settings.expandPageCap}`);
  if (typeof settings.auditImpliedChanges !== "boolean")
    throw new RangeError(
      `auditImpliedChanges must be true or false, got ${JSON.stringify(settings.auditImpliedChanges)}`,
    );
  if (settings.auditFailStatus !== 0 && !(settings.auditFailStatus >= 400 && settings.auditFailStatus <= 599))
    throw new RangeError(
      `auditFailStatus must be 0 or an HTTP error status, got ${settings.auditFailStatus}`,
    );
  if (settings.faultRate > 1)
    throw new RangeError(`faultRate must be between 0 and 1, got ${settings.faultRate}`);
  return settings;
}
