/**
 * What the main thread and the store's thread say to each other (src/store/thread): which store
 * methods exist and how each answers, the messages, and errors as they cross the thread boundary.
 * Pure: no worker is started here.
 */
import { ConnectorError, type ErrorCode } from "../../errors.ts";
import { StoreError, type StoreErrorCode } from "../errors.ts";
import type { Store } from "../types.ts";

export type Part = Exclude<keyof Store, "location" | "verifyFile" | "close">;

/**
 * Every method of every part of the Store contract: `call` answers once, `stream` is an async iterable
 * read in chunks. `satisfies` makes a method added to the contract a compile error here until listed.
 */
export const METHODS = {
  sync: {
    applyPage: "call",
    checkpoint: "call",
    checkpoints: "call",
    newRound: "call",
    reconcile: "call",
    deferReadIndexes: "call",
    restoreReadIndexes: "call",
  },
  runs: { start: "call", renew: "call", record: "call", finish: "call", get: "call", list: "call" },
  outbox: { read: "call", head: "call", position: "call", commit: "call" },
  audit: { record: "call", list: "call" },
  query: {
    resources: "stream",
    resolve: "call",
    grants: "call",
    diff: "call",
    exportColumns: "call",
    export: "stream",
  },
  subscriptions: {
    put: "call",
    get: "call",
    list: "call",
    remove: "call",
    deadLetter: "call",
    deadLetters: "call",
    clearDeadLetter: "call",
    recordAttempt: "call",
    attempts: "call",
    lease: "call",
    releaseLease: "call",
  },
  mappings: {
    startRun: "call",
    finishRun: "call",
    run: "call",
    runs: "call",
    commit: "call",
    cursor: "call",
    links: "call",
    linkCount: "call",
    retries: "call",
    quarantine: "call",
    setQuarantine: "call",
    log: "call",
    users: "call",
    definitions: "call",
    definition: "call",
    putDefinition: "call",
    removeDefinition: "call",
  },
} as const satisfies { [P in Part]: Record<keyof Store[P], "call" | "stream"> };

/** Rows per message when a stream crosses threads: big enough to amortise a message, small to stay flat. */
export const STREAM_CHUNK = 512;

export type Request =
  | { type: "call"; id: number; part: Part; method: string; args: unknown[] }
  | { type: "stream"; id: number; part: Part; method: string; args: unknown[] }
  | { type: "next"; id: number }
  | { type: "return"; id: number }
  | { type: "close"; id: number };

export type Reply =
  | { type: "ready" }
  | { type: "open-failed"; error: WireError }
  | { type: "result"; id: number; value: unknown }
  | { type: "chunk"; id: number; items: unknown[]; done: boolean }
  | { type: "error"; id: number; error: WireError };

/** An error as it crosses threads: a connector error keeps its code and parameters, others their message. */
export type WireError =
  | {
      connector: true;
      store: boolean;
      code: string;
      params: Record<string, string | number>;
      retryable: boolean;
    }
  | { connector: false; name: string; message: string; code?: string };

export function encodeError(error: unknown): WireError {
  if (error instanceof ConnectorError) {
    return {
      connector: true,
      store: error instanceof StoreError,
      code: error.code,
      params: { ...error.params },
      retryable: error.retryable,
    };
  }
  const e = error instanceof Error ? error : new Error(String(error));
  const code = (e as { code?: unknown }).code;
  return {
    connector: false,
    name: e.name,
    message: e.message,
    ...(typeof code === "string" ? { code } : {}),
  };
}

/** The error the caller on the main thread sees: the same class, code and message as in the thread. */
export function decodeError(wire: WireError): Error {
  if (wire.connector) {
    const options = { retryable: wire.retryable };
    // The parameters were filled for this very code on the other side.
    const params = wire.params as never;
    return wire.store
      ? new StoreError(wire.code as StoreErrorCode, params, options)
      : new ConnectorError(wire.code as ErrorCode, params, options);
  }
  const error = new Error(wire.message);
  error.name = wire.name;
  if (wire.code !== undefined) Object.assign(error, { code: wire.code });
  return error;
}
