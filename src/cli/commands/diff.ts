/**
 * `entra-connector diff <runA> <runB> [--json]`: what changed going from run A to run B (by number
 * or id), from the store's change events: objects created, updated (property by property) and
 * deleted, and relationships added and removed. From a later run to an earlier one, the changes undone.
 */
import type { Command } from "commander";
import {
  type ChangeEvent,
  createError,
  EXIT,
  type Store,
  terminalSafe,
  terminalSafeJson,
} from "../../index.ts";
import type { CommandSpec } from "../command.ts";
import { nameOf, type StoreOptions, withStore, write } from "../store-query.ts";

const SIGN: Record<ChangeEvent["type"], string> = {
  created: "+",
  added: "+",
  deleted: "-",
  removed: "-",
  updated: "~",
};

/** Short JSON for a property value in a diff line. */
function show(value: unknown): string {
  const text = JSON.stringify(value) ?? "null";
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** One human line for a change event; names of related objects come from the store. */
export async function describeEvent(
  event: ChangeEvent,
  nameOfId: (id: string) => Promise<string>,
): Promise<string> {
  const subject = `${event.kind} ${nameOf(event.data, await nameOfId(event.resourceId))}`;
  switch (event.type) {
    case "created":
      return `+ ${subject}`;
    case "deleted":
      return `- ${subject}`;
    case "updated":
      return `~ ${subject}: ${(event.changes ?? []).map((c) => `${c.property} ${show(c.old)} → ${show(c.new)}`).join("; ")}`;
    case "added":
    case "removed": {
      const principal = await nameOfId(String(event.data.principalId));
      return `${SIGN[event.type]} ${event.kind} ${await nameOfId(event.resourceId)}: ${String(event.data.entitlement)} ${principal} (${String(event.data.principalType)})`;
    }
  }
}

function namer(store: Store): (id: string) => Promise<string> {
  const cache = new Map<string, string>();
  return async (id) => {
    let name = cache.get(id);
    if (name === undefined) {
      const found = await store.query.resolve(id).catch(() => undefined);
      name = nameOf(found?.data, id);
      cache.set(id, name);
    }
    return name;
  };
}

export const diffCommand: CommandSpec<StoreOptions> = {
  name: "diff",
  summary: "What changed between two sync runs",
  configure(cmd: Command): Command {
    return cmd
      .argument("<runA>", "the run to go from (number or id, see `runs`)")
      .argument("<runB>", "the run to go to; an earlier one shows the later changes undone")
      .option("--json", "print the change events as JSON");
  },
  async run(options, args, io) {
    const [runA, runB] = args;
    if (!runA || !runB)
      throw createError("USAGE", { detail: "diff needs two runs: entra-connector diff <runA> <runB>" });
    return withStore(options, io, async (store) => {
      const events = await store.query.diff(runA, runB);
      if (options.json) {
        await write(io.stdout, `${terminalSafeJson({ from: runA, to: runB, events }, 2)}\n`);
        return EXIT.ok;
      }
      const nameOfId = namer(store);
      const counts = new Map<string, number>();
      for (const event of events) {
        counts.set(event.type, (counts.get(event.type) ?? 0) + 1);
        await write(io.stdout, `${terminalSafe(await describeEvent(event, nameOfId))}\n`);
      }
      const summary = [...counts].map(([type, n]) => `${n} ${type}`).join(", ") || "no changes";
      io.stderr.write(`${summary} from run ${runA} to run ${runB}\n`);
      return EXIT.ok;
    });
  },
};
