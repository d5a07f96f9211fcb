/**
 * JSON lines appended to a file, fsync'd per event. A crash between the fsync and the outbox commit
 * would repeat events on restart; `open` reads the file's tail to skip what is already there, and cuts
 * a half-written last line, so the file holds each event exactly once.
 */
import {
  closeSync,
  existsSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  openSync,
  readSync,
  writeSync,
} from "node:fs";
import type { Sink } from "./sink.ts";
import { eventLine } from "./sink.ts";

/** Enough tail for the events of one outbox entry written before a crash, with a wide margin. */
const TAIL_BYTES = 1 << 20;

/** @example fileSink("/var/lib/entra-connector/events.jsonl") */
export function fileSink(path: string): Sink {
  let fd: number | undefined;
  return {
    async open(committed) {
      // Events carry directory data: a new file is its owner's alone; an existing one keeps its mode.
      fd = openSync(path, existsSync(path) ? "r+" : "w+", 0o600);
      return deliveredAfter(fd, committed);
    },
    async deliver(event) {
      if (fd === undefined) throw new Error("file sink used before open");
      writeSync(fd, eventLine(event), fstatSync(fd).size);
      fsyncSync(fd);
      return undefined;
    },
    async close() {
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
    },
  };
}

function deliveredAfter(fd: number, committed: number): Set<string> {
  const size = fstatSync(fd).size;
  const start = Math.max(0, size - TAIL_BYTES);
  const buffer = Buffer.alloc(size - start);
  readSync(fd, buffer, 0, buffer.length, start);
  const text = buffer.toString("utf8");
  const end = text.lastIndexOf("\n") + 1;
  if (end < text.length) {
    // A line cut short by a crash was never delivered: drop it, it will be written again.
    ftruncateSync(fd, start + Buffer.byteLength(text.slice(0, end)));
    fsyncSync(fd);
  }
  const ids = new Set<string>();
  for (const line of text.slice(0, end).split("\n")) {
    if (!line.startsWith("{")) continue;
    try {
      const e = JSON.parse(line) as { id?: unknown; seq?: unknown };
      if (typeof e.id === "string" && typeof e.seq === "number" && e.seq > committed) ids.add(e.id);
    } catch {
      // The first line of the tail may be a fragment of a longer line: not an event we need.
    }
  }
  return ids;
}
