/**
 * What runs a mapping besides the API: its schedule (the connection scheduler's, keyed per mapping)
 * and the end of each successful sync of its connection (`afterSync`). Both submit an incremental
 * `mapping` job, one live per mapping: a slot or a sync that finds one queued or running adds none.
 */
import type { Logger } from "../log/logger.ts";
import type { ConnectionRegistry } from "./connections.ts";
import type { Jobs } from "./jobs.ts";
import { MAPPING_JOB, type MappingJobInput, mappingSettings } from "./mappings.ts";
import { type Scheduler, startScheduler } from "./scheduler.ts";

export interface MappingSchedules {
  /** The next scheduled run of a mapping, if it has a schedule. */
  next(connectionId: string, name: string): Date | undefined;
  /** Reads a connection's definitions again (after a change over the API, or to the connection). */
  refresh(connectionId: string): Promise<void>;
  stop(): void;
}

export interface MappingScheduleOptions {
  jobs: Jobs;
  connections: ConnectionRegistry;
  logger: Logger;
}

/** A mapping's scheduler key: connection ids and mapping names hold no `/`. */
const keyOf = (connectionId: string, name: string) => `${connectionId}/${name}`;

function runInput(connectionId: string, name: string, trigger: MappingJobInput["trigger"]) {
  const input: MappingJobInput = { mapping: name, mode: "incremental", trigger };
  return {
    kind: MAPPING_JOB,
    connectionId,
    input: input as unknown as Record<string, unknown>,
    singleton: true,
    singletonKey: name,
  };
}

export async function startMappingSchedules(options: MappingScheduleOptions): Promise<MappingSchedules> {
  const { connections, logger } = options;
  const names = new Map<string, Set<string>>();
  let scheduler: Scheduler | undefined;

  async function entriesOf(connectionId: string) {
    const store = await connections.get(connectionId).queries();
    const entries = [];
    for (const definition of await store.mappings.definitions()) {
      const { schedule } = mappingSettings(definition);
      if (schedule === undefined) continue;
      const [last] = await store.mappings.runs(definition.name, { limit: 1 });
      entries.push({
        connectionId: keyOf(connectionId, definition.name),
        name: definition.name,
        schedule,
        lastRunAt: last === undefined ? undefined : new Date(last.startedAt),
      });
    }
    return entries;
  }

  const initial = [];
  for (const connection of connections.list()) {
    try {
      const entries = await entriesOf(connection.id);
      names.set(connection.id, new Set(entries.map((e) => e.name)));
      initial.push(...entries);
    } catch (err) {
      logger.error({ connection: connection.id, err }, "mapping schedules not read");
    }
  }
  scheduler = startScheduler({
    jobs: options.jobs,
    entries: initial,
    job: (key) => {
      const at = key.indexOf("/");
      return runInput(key.slice(0, at), key.slice(at + 1), "schedule");
    },
    events: {
      fired: (key, runId) => logger.info({ mapping: key, runId }, "scheduled mapping run started"),
      skipped: (key, runId) =>
        logger.info({ mapping: key, runId }, "scheduled mapping run skipped: the previous one still runs"),
      failed: (key, err) => logger.error({ mapping: key, err }, "scheduled mapping run could not be queued"),
      elsewhere: (key, slot) =>
        logger.debug({ mapping: key, slot }, "scheduled mapping run submitted by another replica"),
    },
  });

  async function refresh(connectionId: string): Promise<void> {
    const entries = connections.list().some((c) => c.id === connectionId)
      ? await entriesOf(connectionId)
      : [];
    const now = new Set(entries.map((e) => e.name));
    for (const name of names.get(connectionId) ?? []) {
      if (!now.has(name)) scheduler?.set(keyOf(connectionId, name), undefined, undefined);
    }
    for (const e of entries) scheduler?.set(e.connectionId, e.schedule, e.lastRunAt);
    names.set(connectionId, now);
  }

  connections.onChange((connectionId) => {
    refresh(connectionId).catch((err: unknown) =>
      logger.error({ connection: connectionId, err }, "mapping schedules not updated"),
    );
  });

  return {
    next: (connectionId, name) => scheduler?.next(keyOf(connectionId, name)),
    refresh,
    stop: () => scheduler?.stop(),
  };
}

/** Queues an incremental run of each of the connection's mappings that runs after a sync. */
export async function runAfterSync(jobs: Jobs, connections: ConnectionRegistry, connectionId: string) {
  const store = await connections.get(connectionId).queries();
  for (const definition of await store.mappings.definitions()) {
    if (!mappingSettings(definition).afterSync) continue;
    await jobs.submit(runInput(connectionId, definition.name, "afterSync"));
  }
}
