/**
 * The store on its own thread. A sync spends most of its CPU in SQLite (node:sqlite is synchronous),
 * and on the main thread every page commit held up the event loop that reads Graph's next pages: the
 * users chain, which sets a full sync's pace, ran half as slow again as Graph's latency. Here one
 * worker owns the store's only connection and runs each call in the order it was made, so reading
 * and writing use both cores, and transactions, ordering and errors are exactly those of SqliteStore.
 * Each call is one message each way; rows of a stream cross in chunks.
 */
import { once } from "node:events";
import { Worker } from "node:worker_threads";
import { StoreError } from "../errors.ts";
import { checkFileIdentity, type FileIdentity, fileIdentity } from "../store-file.ts";
import type { Store } from "../types.ts";
import { decodeError, METHODS, type Part, type Reply, type Request } from "./protocol.ts";

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

export class ThreadedStore implements Store {
  readonly location: string;
  readonly sync: Store["sync"];
  readonly runs: Store["runs"];
  readonly outbox: Store["outbox"];
  readonly audit: Store["audit"];
  readonly query: Store["query"];
  readonly subscriptions: Store["subscriptions"];
  readonly mappings: Store["mappings"];
  readonly #worker: Worker;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  /** Why the thread is gone (set once it is): every later call fails with it. */
  #failure: StoreError | undefined;
  #closing: Promise<void> | undefined;
  /** The file the thread opened, as this thread sees it right after. */
  #file: FileIdentity | undefined;

  /** Opens the store in a new thread; resolves once the thread has the store open (or rejects as SqliteStore would). */
  static async open(path: string): Promise<ThreadedStore> {
    const store = new ThreadedStore(path);
    await store.#ready;
    store.#file = fileIdentity(path);
    store.#idle();
    return store;
  }

  readonly #ready: Promise<void>;

  private constructor(path: string) {
    this.location = path;
    this.#worker = new Worker(new URL("./store-thread.ts", import.meta.url), { workerData: { path } });
    this.#ready = new Promise((resolve, reject) => {
      const onReply = (reply: Reply) => {
        if (reply.type === "ready") resolve();
        else if (reply.type === "open-failed") reject(decodeError(reply.error));
        else this.#settle(reply);
      };
      this.#worker.on("message", onReply);
      this.#worker.on("error", (error) => {
        this.#fail(error.message);
        reject(this.#failure);
      });
      this.#worker.on("exit", (code) => {
        this.#fail(this.#closing ? "the store is closed" : `the thread exited (code ${code})`);
        reject(this.#failure);
      });
    });
    this.sync = this.#part("sync");
    this.runs = this.#part("runs");
    this.outbox = this.#part("outbox");
    this.audit = this.#part("audit");
    this.query = this.#part("query");
    this.subscriptions = this.#part("subscriptions");
    this.mappings = this.#part("mappings");
  }

  async verifyFile(): Promise<void> {
    checkFileIdentity(this.location, this.#file);
  }

  async close(): Promise<void> {
    this.#closing ??= (async () => {
      // Held until the thread has closed the file, even with nothing else left for the process to do.
      this.#worker.ref();
      if (!this.#failure) await this.#call({ type: "close", id: this.#nextId++ }).catch(() => {});
      if (!this.#failure) await once(this.#worker, "exit");
    })();
    return this.#closing;
  }

  /** A proxy for one part of the contract: each method sends its call to the thread. */
  #part<P extends Part>(part: P): Store[P] {
    const object: Record<string, unknown> = {};
    for (const [method, shape] of Object.entries(METHODS[part])) {
      object[method] =
        shape === "call"
          ? (...args: unknown[]) => this.#call({ type: "call", id: this.#nextId++, part, method, args })
          : (...args: unknown[]) => this.#stream(part, method, args);
    }
    return object as unknown as Store[P];
  }

  #call(request: Request): Promise<unknown> {
    if (this.#failure) return Promise.reject(this.#failure);
    return new Promise((resolve, reject) => {
      this.#pending.set(request.id, { resolve, reject });
      this.#busy();
      try {
        this.#worker.postMessage(request);
      } catch (error) {
        // Arguments that cannot be cloned (a function, a class instance with private state).
        this.#pending.delete(request.id);
        this.#idle();
        reject(error);
      }
    });
  }

  async *#stream(part: Part, method: string, args: unknown[]): AsyncGenerator<unknown> {
    const id = this.#nextId++;
    let chunk = (await this.#call({ type: "stream", id, part, method, args })) as Chunk;
    let finished = chunk.done;
    try {
      for (;;) {
        yield* chunk.items;
        if (chunk.done) return;
        chunk = (await this.#call({ type: "next", id })) as Chunk;
        finished = chunk.done;
      }
    } finally {
      // A caller that stops early (break, throw) frees the thread's statement.
      if (!finished && !this.#failure) this.#worker.postMessage({ type: "return", id } satisfies Request);
    }
  }

  #settle(reply: Reply): void {
    if (reply.type !== "result" && reply.type !== "chunk" && reply.type !== "error") return;
    const pending = this.#pending.get(reply.id);
    if (!pending) return;
    this.#pending.delete(reply.id);
    this.#idle();
    if (reply.type === "error") pending.reject(decodeError(reply.error));
    else pending.resolve(reply.type === "chunk" ? { items: reply.items, done: reply.done } : reply.value);
  }

  #fail(reason: string): void {
    this.#failure ??= new StoreError("STORE_THREAD_FAILED", { reason });
    for (const pending of this.#pending.values()) pending.reject(this.#failure);
    this.#pending.clear();
  }

  // The thread keeps the process alive only while a call waits on it: a program that ends without
  // closing the store is not held open by an idle thread.
  #busy(): void {
    if (this.#pending.size === 1) this.#worker.ref();
  }

  #idle(): void {
    if (this.#pending.size === 0 && !this.#closing) this.#worker.unref();
  }
}

interface Chunk {
  items: unknown[];
  done: boolean;
}
