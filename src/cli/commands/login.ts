/**
 * `entra-connector login [--no-browser] [--port N]`: delegated sign-in (authorization code + PKCE with
 * a loopback listener). The refresh token is stored encrypted and rotated on every use afterwards.
 */
import { spawn } from "node:child_process";
import type { Command } from "commander";
import {
  type ConfigFlags,
  createConnection,
  createError,
  createLogger,
  decodeClaims,
  interactiveLogin,
  loadConfig,
} from "../../index.ts";
import type { CommandIO, CommandSpec } from "../command.ts";

export interface LoginOptions extends ConfigFlags {
  browser?: boolean;
  port?: string;
  json?: boolean;
}

function openBrowser(url: string): void {
  const [cmd, args] =
    process.platform === "darwin"
      ? ["open", [url]]
      : process.platform === "win32"
        ? ["cmd", ["/c", "start", "", url]]
        : ["xdg-open", [url]];
  const child = spawn(cmd as string, args as string[], { stdio: "ignore", detached: true });
  child.on("error", () => {}); // no browser here: the printed URL is enough
  child.unref();
}

export const loginCommand: CommandSpec<LoginOptions> = {
  name: "login",
  summary: "Sign in as a user (delegated OAuth with PKCE) and store the refresh token encrypted",
  configure(cmd: Command): Command {
    return cmd
      .option("--no-browser", "only print the sign-in URL")
      .option("--port <port>", "loopback port for the redirect (default: any free port)")
      .option("--json", "print who signed in as JSON");
  },
  async run(options, _args, io: CommandIO) {
    const config = loadConfig({ env: io.env, flags: { ...options, auth: options.auth ?? "delegated" } });
    const logger = createLogger({ level: config.logLevel, destination: io.stderr });
    const conn = createConnection(config, { logger, env: io.env });
    try {
      const loginOpts: Parameters<typeof interactiveLogin>[2] = {
        signal: io.signal,
        openUrl(url) {
          io.stderr.write(
            `Open this URL in a browser to sign in:\n\n  ${url}\n\nWaiting for the sign-in to finish…\n`,
          );
          if (options.browser !== false) openBrowser(url);
        },
      };
      if (options.port !== undefined) {
        const port = Number(options.port);
        if (!Number.isInteger(port) || port < 0 || port > 65535) {
          throw createError("USAGE", { detail: "--port: must be a port number from 0 to 65535" });
        }
        loginOpts.port = port;
      }
      const token = await interactiveLogin(
        config,
        { dispatcher: conn.dispatcher, logger, store: conn.store },
        loginOpts,
      );
      const claims = decodeClaims(token.accessToken);
      const who = String(claims?.["upn"] ?? claims?.["preferred_username"] ?? claims?.oid ?? "unknown user");
      if (options.json) {
        io.stdout.write(
          JSON.stringify({ signedIn: who, tenantId: token.tenantId, scopes: claims?.scp ?? "" }) + "\n",
        );
      } else {
        io.stdout.write(
          `Signed in as ${who} (tenant ${token.tenantId}). The refresh token is stored encrypted in ${conn.store?.path}.\n`,
        );
      }
      return 0;
    } finally {
      await conn.close();
    }
  },
};
