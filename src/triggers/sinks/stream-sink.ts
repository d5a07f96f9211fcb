import type { Sink } from "./sink.ts";
import { eventLine } from "./sink.ts";

/** JSON lines to a stream (stdout): at least once; a crash may repeat the last events, with their ids. */
export function streamSink(out: NodeJS.WritableStream): Sink {
  return {
    async open() {
      return new Set();
    },
    deliver(event) {
      return new Promise((resolve, reject) => {
        out.write(eventLine(event), (err) => (err ? reject(err) : resolve(undefined)));
      });
    },
    async close() {},
  };
}

/** Hands each event to a function; delivered when its promise resolves (the library's `subscribe`). */
export function callbackSink(callback: (event: Parameters<Sink["deliver"]>[0]) => unknown): Sink {
  return {
    async open() {
      return new Set();
    },
    async deliver(event) {
      await callback(event);
      return undefined;
    },
    async close() {},
  };
}
