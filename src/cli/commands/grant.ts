/**
 * `entra-connector grant <entitlement> <principal> [--dry-run]`: grants an entitlement, e.g.
 * `grant group:Finance:member ann@contoso.com` or `grant role:"User Administrator":eligible user:<id>`.
 * Needs provisioning enabled (--provisioning / ENTRA_PROVISIONING=true) unless --dry-run.
 */
import type { Command } from "commander";
import { type ConfigFlags, grantAction, revokeAction } from "../../index.ts";
import type { CommandSpec } from "../command.ts";
import { runActionCommand } from "./action.ts";

export interface GrantOptions extends ConfigFlags {
  dryRun?: boolean;
  usageLocation?: string;
}

/** grant and revoke share everything but the definition they run. */
export function entitlementCommand(verb: "grant" | "revoke"): CommandSpec<GrantOptions> {
  const def = verb === "grant" ? grantAction : revokeAction;
  return {
    name: `${verb} <entitlement> <principal>`,
    errors: "json",
    summary: `${verb === "grant" ? "Grant" : "Revoke"} an entitlement (group:<g>:member|owner, role:<r>:assigned|eligible, app:<a>:assigned, app:<a>:role:<role>, license:<sku>:assigned)`,
    configure(cmd: Command): Command {
      return cmd
        .option("--dry-run", "send nothing; print the exact Graph requests it would send")
        .option(
          "--usage-location <cc>",
          "for licence grants: set this usage location first if the user has none",
        );
    },
    run(options, args, io) {
      const input = () => ({
        entitlement: args[0],
        principal: args[1],
        ...(options.usageLocation ? { usageLocation: options.usageLocation } : {}),
      });
      return runActionCommand(() => def, input, options, io);
    },
  };
}

export const grantCommand = entitlementCommand("grant");
