/**
 * `entra-connector check [--capabilities sync,write.users,…] [--json]`: signs in, reads what the token
 * grants and /organization, and prints a checklist per capability with the exact permissions to add
 * and the admin-consent URL. Exit 0 only when every asked capability is usable.
 */
import type { Command } from "commander";
import {
  type CheckReport,
  type ConfigFlags,
  checkConnection,
  createConnection,
  createError,
  createLogger,
  EXIT,
  loadConfig,
  selectCapabilities,
  terminalSafe,
  terminalSafeJson,
} from "../../index.ts";
import type { CommandIO, CommandSpec } from "../command.ts";

export interface CheckOptions extends ConfigFlags {
  capabilities?: string;
  json?: boolean;
}

export function renderReport(r: CheckReport): string {
  const lines: string[] = [];
  const org = r.organization;
  lines.push(
    `Tenant       ${org ? `${terminalSafe(String(org.displayName))}${org.verifiedDomain ? ` (${org.verifiedDomain})` : ""} ` : ""}${r.tenantId}`,
  );
  lines.push(`Application  ${r.clientId}`);
  lines.push(`Endpoints    login ${r.authorityHost}, Graph ${r.graphUrl}`);
  const failed = (what: string, e: NonNullable<CheckReport["error"]>) => {
    lines.push("", `✗ ${what} failed: ${e.message}`);
    if (e.fix) lines.push(`  fix: ${e.fix}`);
    return lines.join("\n") + "\n";
  };
  const t = r.token;
  if (!t) return failed("sign-in", r.error!);
  lines.push(
    `Sign-in      ok (${t.kind === "app" ? "application" : "delegated"} token, valid until ${t.expiresAt})`,
  );
  lines.push(
    t.permissions.length > 0
      ? `Granted      ${t.permissions.join(", ")}`
      : `Granted      nothing: ${t.kind === "app" ? "no application permissions are granted to this app (its token carries no roles)" : "the token carries no scopes"}`,
  );
  if (r.error) return failed("reading /organization", r.error);
  if (r.organizationError) lines.push(`✗ reading /organization failed: ${terminalSafe(r.organizationError)}`);
  lines.push("");
  const width = Math.max(...r.capabilities.map((c) => c.label.length));
  for (const c of r.capabilities) {
    const detail = c.granted
      ? c.grantedBy.join(", ")
      : c.missing
          .map((m) => `add ${m.add}${m.alternatives.length > 0 ? ` (or ${m.alternatives.join(", ")})` : ""}`)
          .join("; ");
    const mark = c.granted ? "✓" : c.optional !== undefined ? "–" : "✗";
    lines.push(
      `${mark} ${c.label.padEnd(width)}  ${detail}${!c.granted && c.optional ? ` (optional: ${c.optional})` : ""}`,
    );
  }
  if (r.permissionsToAdd.length > 0) {
    const kind = t.kind === "app" ? "application" : "delegated";
    lines.push("", `Missing permissions (Microsoft Graph, ${kind}): ${r.permissionsToAdd.join(", ")}`);
    lines.push("Add them under API permissions, then grant admin consent:");
  } else if (!r.ok) {
    lines.push("", "Grant admin consent:");
  }
  if (!r.ok) lines.push(`  ${r.consentUrl}`);
  else lines.push("", "All asked capabilities are usable.");
  return lines.join("\n") + "\n";
}

export const checkCommand: CommandSpec<CheckOptions> = {
  name: "check",
  summary: "Check sign-in and permissions; list what to add and the admin-consent link",
  configure(cmd: Command): Command {
    return cmd
      .option(
        "--capabilities <list>",
        "what to check, e.g. sync,write or sync.users,write.groups (default: sync, plus write when provisioning is on)",
      )
      .option("--json", "print the report as JSON");
  },
  async run(options, _args, io: CommandIO) {
    const config = loadConfig({ env: io.env, flags: options });
    const asked = options.capabilities?.split(",") ?? (config.provisioning ? ["sync", "write"] : ["sync"]);
    const { ids, unknown } = selectCapabilities(asked);
    if (unknown.length > 0 || ids.length === 0) {
      throw createError("USAGE", {
        detail: `--capabilities: unknown capability ${unknown.join(", ") || "(none given)"}; use sync, write or names like sync.users, write.groups`,
      });
    }
    const logger = createLogger({ level: config.logLevel, destination: io.stderr });
    const conn = createConnection(config, { logger, env: io.env });
    try {
      const report = await checkConnection(config, conn.tokens, conn.graph, ids, io.signal);
      io.stdout.write(options.json ? terminalSafeJson(report, 2) + "\n" : renderReport(report));
      if (report.ok) return EXIT.ok;
      return report.error ? report.error.exitCode : EXIT.permissions;
    } finally {
      await conn.close();
    }
  },
};
