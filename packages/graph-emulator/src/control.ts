/**
 * The control API under `/_emulator/` (not Graph, no auth): stats, snapshot, mutate, faults,
 * permissions, reset. Bad input gets a 400 naming the field.
 */
import type { ServerResponse } from "node:http";
import type { FaultSettings } from "./faults/faults.ts";
import type { RouteStats } from "./graph/router.ts";
import type { MutationRecord } from "./tenant/mutate.ts";

/** What POST /_emulator/faults accepts. */
export interface FaultPatch extends Partial<FaultSettings> {
  /** true/false, or a budget override for tests. */
  throttle?: boolean | { enabled?: boolean; readBudget?: number; writeBudget?: number };
  /** Expire every delta token issued so far (the next call with one gets the resync error). */
  expireDeltaTokens?: boolean;
}

export interface ControlTarget {
  stats(): RouteStats;
  snapshot(): Record<string, unknown>;
  mutate(options: { count: number; seed: number }): MutationRecord[];
  setFaults(patch: FaultPatch): Record<string, unknown>;
  setPermissions(
    permissions: string | string[],
    clientId?: string,
  ): { clientId: string; permissions: string[] };
  reset(): void;
}

export class ControlError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = "ControlError";
    this.status = status;
  }
}

export function createControlHandler(target: ControlTarget) {
  return async (method: string, path: string, body: Buffer, res: ServerResponse): Promise<void> => {
    try {
      const result = route(target, method.toUpperCase(), path.replace(/\/$/, ""), body);
      send(res, 200, result);
    } catch (error) {
      if (error instanceof ControlError)
        send(res, error.status, { error: { code: "BadRequest", message: error.message } });
      else if (error instanceof RangeError || error instanceof TypeError) {
        send(res, 400, { error: { code: "BadRequest", message: error.message } });
      } else send(res, 500, { error: { code: "InternalError", message: "The control request failed." } });
    }
  };
}

function route(target: ControlTarget, method: string, path: string, body: Buffer): unknown {
  const key = `${method} ${path}`;
  switch (key) {
    case "GET stats":
      return target.stats();
    case "GET snapshot":
      return target.snapshot();
    case "POST mutate": {
      const input = json(body);
      const count = input["count"] ?? 1;
      const seed = input["seed"] ?? Date.now() % 2 ** 31;
      if (!Number.isInteger(count) || (count as number) < 0 || (count as number) > 100_000) {
        throw new ControlError(400, "count must be an integer between 0 and 100000");
      }
      if (!Number.isInteger(seed)) throw new ControlError(400, "seed must be an integer");
      return { changes: target.mutate({ count: count as number, seed: seed as number }) };
    }
    case "POST faults":
      return target.setFaults(json(body) as FaultPatch);
    case "GET faults":
      return target.setFaults({});
    case "POST permissions": {
      const input = json(body);
      const permissions = input["permissions"];
      const clientId = input["clientId"];
      if (
        typeof permissions !== "string" &&
        !(Array.isArray(permissions) && permissions.every((p) => typeof p === "string"))
      ) {
        throw new ControlError(
          400,
          'permissions must be "read", "write" or an array of Graph permission names',
        );
      }
      if (clientId !== undefined && typeof clientId !== "string")
        throw new ControlError(400, "clientId must be a string");
      return target.setPermissions(permissions as string | string[], clientId as string | undefined);
    }
    case "POST reset":
      target.reset();
      return { reset: true };
    default:
      throw new ControlError(
        404,
        `No control route ${method} /_emulator/${path}. Routes: GET stats, GET snapshot, POST mutate, GET|POST faults, POST permissions, POST reset.`,
      );
  }
}

function json(body: Buffer): Record<string, unknown> {
  if (body.length === 0) return {};
  let value: unknown;
  try {
    value = JSON.parse(body.toString("utf8"));
  } catch {
    throw new ControlError(400, "The body must be a JSON object.");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new ControlError(400, "The body must be a JSON object.");
  return value as Record<string, unknown>;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const payload = Buffer.from(JSON.stringify(body));
  res.writeHead(status, {
    "Content-Type": "application/json; charset=utf-8",
    "Content-Length": String(payload.length),
  });
  res.end(payload);
}
