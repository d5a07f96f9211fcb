/**
 * Kit for the web console's browser tests and screenshots: a real service (HTTP on a free port) on an
 * emulated tenant, API tokens and a console user, and Debian's Chromium driven by playwright-core.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startEmulator, type TenantSizeName } from "@entra-connector/graph-emulator";
import { type BrowserContext, chromium } from "playwright-core";
import { ensureChromium } from "../scripts/ensure-chromium.ts";
import {
  createLogger,
  loadConnectorKey,
  openConnections,
  openServiceState,
  type RunningService,
  type ServiceState,
  serviceStatePath,
  startService,
} from "../src/index.ts";
import { type Emulator, emulatorEnv } from "./sync-support.ts";

export const USER = { name: "ada", password: "a long enough console password" };

export interface ConsoleService {
  emu: Emulator;
  service: RunningService;
  state: ServiceState;
  url: string;
  tokens: { viewer: string; operator: string; admin: string };
  close(): Promise<void>;
}

export async function startConsoleService(
  options: { size?: TenantSizeName; latency?: "none" | "graph"; provisioning?: boolean } = {},
): Promise<ConsoleService> {
  const size = options.size ?? "s";
  const emu = await startEmulator({
    port: 0,
    latency: options.latency ?? "graph",
    throttle: false,
    faultRate: 0,
    size,
    seed: 5,
  });
  const dir = mkdtempSync(join(tmpdir(), "entra-console-"));
  const env = {
    ...emulatorEnv(emu, join(dir, "store.db"), size),
    ...(options.provisioning ? { ENTRA_PROVISIONING: "true" } : {}),
  };
  const state = openServiceState(serviceStatePath(dir));
  const tokens = {
    viewer: (await state.createToken({ name: "viewer", role: "viewer" })).token,
    operator: (await state.createToken({ name: "operator", role: "operator" })).token,
    admin: (await state.createToken({ name: "admin", role: "admin" })).token,
  };
  await state.addUser({ name: USER.name, role: "admin", password: USER.password });
  const managed = { key: await loadConnectorKey({ stateDir: dir }), env, stateDir: dir };
  const service = await startService({
    state,
    connections: await openConnections({ ...managed, state }),
    managed,
    logger: createLogger({ level: "silent" }),
    version: "test",
    listen: { host: "127.0.0.1", port: 0 },
    metricsOpen: false,
    graceMs: 10_000,
  });
  return {
    emu,
    service,
    state,
    url: service.url,
    tokens,
    async close() {
      await service.close();
      await emu.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Debian's Chromium, headless, on a fresh profile; installed first when missing (as root). */
export async function launchBrowser(): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const executablePath = ensureChromium();
  const profile = mkdtempSync(join(tmpdir(), "entra-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
    viewport: { width: 1280, height: 860 },
    // The emulator's sign-in page (Sign in with Microsoft) is served over HTTPS by its own test CA.
    ignoreHTTPSErrors: true,
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
