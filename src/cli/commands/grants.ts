/**
 * `entra-connector grants --user X | --group Y | --app Z | --role R | --license L [--json]`: effective
 * grants from the store. For a user: everything it holds, directly or through nested groups. For a
 * group, app, role or licence: everyone who holds it, and how (nested groups expanded).
 */
import type { Command } from "commander";
import {
  createError,
  EXIT,
  type Grant,
  type ResourceKind,
  type Store,
  terminalSafeJson,
} from "../../index.ts";
import type { CommandSpec } from "../command.ts";
import { entitlementLabel, type StoreOptions, table, withStore, write } from "../store-query.ts";

export interface GrantsOptions extends StoreOptions {
  user?: string;
  group?: string;
  app?: string;
  role?: string;
  license?: string;
}

const TARGETS = ["user", "group", "app", "role", "license"] as const satisfies readonly ResourceKind[];

/** The one target flag given; zero or several is a usage error. */
export function grantsTarget(options: GrantsOptions): { kind: ResourceKind; ref: string } {
  const given = TARGETS.filter((k) => typeof options[k] === "string");
  const [kind] = given;
  if (given.length !== 1 || !kind) {
    throw createError("USAGE", { detail: "give exactly one of --user, --group, --app, --role or --license" });
  }
  return { kind, ref: options[kind] as string };
}

/** Finds a store object by id, principal name or display name, or fails naming the ref. */
export async function resolveOrFail(store: Store, kind: ResourceKind, ref: string) {
  const found = await store.query.resolve(ref, kind);
  if (!found) throw createError("OBJECT_NOT_FOUND", { kind, ref });
  return found;
}

/** "direct", or "via A > B" with group names. */
export async function describePath(store: Store, grant: Grant, names: Map<string, string>): Promise<string> {
  if (grant.path.how === "direct") return "direct";
  const parts: string[] = [];
  for (const id of grant.path.via) {
    if (!names.has(id)) {
      const group = await store.query.resolve(id, "group");
      names.set(id, typeof group?.data.displayName === "string" ? group.data.displayName : id);
    }
    parts.push(names.get(id) ?? id);
  }
  return `via ${parts.join(" > ")}`;
}

export const grantsCommand: CommandSpec<GrantsOptions> = {
  name: "grants",
  summary: "Who has what: effective grants of a user, or on a group, app, role or licence",
  configure(cmd: Command): Command {
    return cmd
      .option("--user <ref>", "what this user holds (id, userPrincipalName or display name)")
      .option("--group <ref>", "who holds membership or ownership of this group")
      .option("--app <ref>", "who is assigned this enterprise app (id, appId or display name)")
      .option("--role <ref>", "who holds this directory role, active or eligible")
      .option("--license <ref>", "who is assigned this licence (skuId or skuPartNumber)")
      .option("--json", "print the grants as JSON");
  },
  async run(options, _args, io) {
    const target = grantsTarget(options);
    return withStore(options, io, async (store) => {
      const object = await resolveOrFail(store, target.kind, target.ref);
      const grants = await store.query.grants(
        target.kind === "user" ? { principalId: object.id } : { objectId: object.id },
      );
      if (options.json) {
        await write(io.stdout, `${terminalSafeJson({ kind: target.kind, id: object.id, grants }, 2)}\n`);
        return EXIT.ok;
      }
      const names = new Map<string, string>();
      const rows: string[][] = [];
      for (const g of grants) {
        const who =
          target.kind === "user" ? (g.objectName ?? g.objectId) : (g.principalName ?? g.principalId);
        const type = target.kind === "user" ? g.objectKind : g.principalType;
        rows.push([entitlementLabel(g), type, who, await describePath(store, g, names)]);
      }
      for (const line of table(rows)) await write(io.stdout, `${line}\n`);
      io.stderr.write(`${grants.length} grant${grants.length === 1 ? "" : "s"}\n`);
      return EXIT.ok;
    });
  },
};
