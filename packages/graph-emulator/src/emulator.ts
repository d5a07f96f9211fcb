/**
 * startEmulator: one HTTPS (or HTTP) port on 127.0.0.1 serving login, Graph and the control API over a
 * generated tenant. Tests start it in-process on port 0; `main.ts` is the CLI around it.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ControlTarget, createControlHandler, type FaultPatch } from "./control.ts";
import { createClientCertificate, createTlsMaterial } from "./crypto/index.ts";
import { type FaultSettings, Faults } from "./faults/faults.ts";
import { expireDeltaTokens } from "./graph/delta/routes.ts";
import { resolvePermissions } from "./graph/permissions.ts";
import { Router, type RouteStats } from "./graph/router.ts";
import { registerGraphRoutes } from "./graph/routes.ts";
import { createLoginService, type LoginApp, type LoginDirectory } from "./login/index.ts";
import { createEmulatorServer } from "./server.ts";
import { generateTenant } from "./tenant/generator.ts";
import type { TenantModel } from "./tenant/model.ts";
import { mutateTenant } from "./tenant/mutate.ts";
import type { TenantCounts, TenantSizeName } from "./tenant/sizes.ts";
import { snapshotOf } from "./tenant/snapshot.ts";
import type { WellKnownApps } from "./tenant/well-known-apps.ts";
import { Throttle, type ThrottleSettings } from "./throttle/throttle.ts";

export interface EmulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  size?: TenantSizeName;
  seed?: number;
  /** Explicit counts override the size's (users, groups, apps, skus, membershipsPerUser, ...). */
  counts?: Partial<TenantCounts>;
  /** The primary app's application permissions: "read", "write" (default) or permission names. */
  permissions?: "read" | "write" | string | string[];
  latency?: FaultSettings["latency"];
  /** Throttling by the resource-unit model; an object scales the budgets down for tests. */
  throttle?: boolean | Omit<ThrottleSettings, "enabled">;
  faultRate?: number;
  replicationLagMs?: number;
  deltaTokenTtlMs?: number;
  /** Serve plain HTTP instead of HTTPS (MSAL and the Graph SDK need HTTPS; raw fetch tests may not). */
  http?: boolean;
  /** Whether the tenant has Entra ID P2 (PIM). Default true. */
  p2?: boolean;
  /** Where the CA and client certificate files go; default a fresh temp directory, removed on close. */
  dataDir?: string;
  /** Log sink (default: nothing). The CLI passes a stderr writer. */
  log?: (message: string) => void;
}

export interface Emulator extends ControlTarget {
  authorityHost: string;
  tenantId: string;
  tenantDomain: string;
  authority: string;
  graphBaseUrl: string;
  graphRoot: string;
  clientId: string;
  clientSecret: string;
  caFile: string;
  controlUrl: string;
  apps: {
    certificate: { clientId: string; certificateFile: string; keyFile: string };
    expiredSecret: { clientId: string; clientSecret: string };
    disabled: { clientId: string; clientSecret: string };
    delegated: { clientId: string; clientSecret: string; user: { id: string; userPrincipalName: string } };
  };
  /** The live tenant (for in-process assertions; replaced by reset). */
  readonly tenant: TenantModel;
  /** Shifts the login service's clock (token expiry tests). */
  setClock(offsetMs: number): void;
  close(): Promise<void>;
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const log = options.log ?? (() => {});
  const size = options.size ?? "s";
  const seed = options.seed ?? 1;
  const startPermissions = resolvePermissions(options.permissions ?? "write");
  const generate = () =>
    generateTenant({
      size,
      seed,
      permissions: [...startPermissions],
      ...(options.counts ? { counts: options.counts } : {}),
      ...(options.p2 !== undefined ? { p2: options.p2 } : {}),
    });
  const started = performance.now();
  let generated = generate();
  log(`tenant generated (size ${size}, seed ${seed}) in ${Math.round(performance.now() - started)} ms`);

  const ownDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), "graph-emulator-")));
  const tls = await createTlsMaterial(dataDir);
  const certificate = await createClientCertificate(dataDir, "certificate-app");
  let apps = new Map<string, LoginApp>();
  const loadApps = (wellKnown: WellKnownApps) => {
    wellKnown.certificate.certificates = [
      {
        thumbprintSha1: certificate.thumbprintSha1,
        thumbprintSha256: certificate.thumbprintSha256,
        publicKeyPem: certificate.publicKeyPem,
      },
    ];
    apps = new Map(
      [
        wellKnown.primary,
        wellKnown.certificate,
        wellKnown.expiredSecret,
        wellKnown.disabled,
        wellKnown.delegated,
      ].map((a) => [a.clientId, a]),
    );
  };
  loadApps(generated.apps);

  const tenant = () => generated.model;
  const directory: LoginDirectory = {
    findTenant: (idOrDomain) => {
      const info = tenant().info;
      const key = idOrDomain.toLowerCase();
      if (key !== info.id && !info.domains.some((d) => d.toLowerCase() === key)) return undefined;
      return { id: info.id, domains: [...info.domains], displayName: info.displayName };
    },
    findApp: (tenantId, clientId) => (tenantId === tenant().info.id ? apps.get(clientId) : undefined),
    signInUser: (tenantId, clientId) => {
      if (tenantId !== tenant().info.id || clientId !== generated.apps.delegated.clientId) return undefined;
      const user = tenant().get("user", generated.apps.delegatedUserId);
      if (!user) return undefined;
      return {
        id: user.id,
        userPrincipalName: String(user["userPrincipalName"]),
        displayName: String(user["displayName"]),
        accountEnabled: user["accountEnabled"] === true,
      };
    },
    homeTenantFor: (clientId) => (apps.has(clientId) ? tenant().info.id : undefined),
  };

  let origin = "";
  const login = createLoginService({ directory, origin: () => origin });
  await login.ready();
  const throttleSettings = (value: EmulatorOptions["throttle"]): ThrottleSettings =>
    typeof value === "object" ? { enabled: true, ...value } : { enabled: value === true };
  const startFaults: Partial<FaultSettings> = {
    latency: options.latency ?? "none",
    faultRate: options.faultRate ?? 0,
    replicationLagMs: options.replicationLagMs ?? 0,
    deltaTokenTtlMs: options.deltaTokenTtlMs ?? 0,
  };
  const faults = new Faults(startFaults);
  const throttle = new Throttle(throttleSettings(options.throttle));
  const stats: RouteStats = { requests: 0, ru: 0, throttled: 0, byRoute: {} };
  const router = new Router({
    tenant,
    root: () => origin,
    throttle,
    faults,
    stats,
    now: Date.now,
    revokeSignInSessions: (userId) => login.revokeSignInSessions(tenant().info.id, userId),
  });
  registerGraphRoutes(router);
  // The audit log records from here on (the generated history has none), as `auditImpliedChanges` says.
  const startAudit = (model: TenantModel) => {
    model.audit.clock = Date.now;
    model.audit.impliedChanges = () => faults.settings.auditImpliedChanges;
  };
  startAudit(generated.model);

  const control = {
    stats: (): RouteStats => ({ ...stats, byRoute: { ...stats.byRoute } }),
    snapshot: () => snapshotOf(tenant()),
    mutate: (input: { count: number; seed: number }) => mutateTenant(tenant(), { ...input, now: Date.now() }),
    setFaults: (patch: FaultPatch) => {
      const { throttle: throttlePatch, expireDeltaTokens: expire, ...rest } = patch;
      const next = faults.configure(rest);
      if (throttlePatch !== undefined) {
        throttle.configure(
          typeof throttlePatch === "object"
            ? { enabled: true, ...throttlePatch }
            : { enabled: throttlePatch === true },
        );
      }
      if (expire === true) expireDeltaTokens({ tenant: tenant() });
      return { ...next, throttle: throttle.settings };
    },
    setPermissions: (permissions: string | string[], clientId?: string) => {
      const id = clientId ?? generated.apps.primary.clientId;
      const app = apps.get(id);
      if (!app) throw new RangeError(`clientId ${id} is not an app of this emulator`);
      app.appPermissions = resolvePermissions(permissions);
      return { clientId: id, permissions: [...app.appPermissions] };
    },
    reset: () => {
      generated = generate();
      startAudit(generated.model);
      loadApps(generated.apps);
      faults.configure({ ...(startFaults as FaultSettings) });
      throttle.configure(throttleSettings(options.throttle));
      Object.assign(stats, { requests: 0, ru: 0, throttled: 0, byRoute: {} });
    },
  };
  const { server, sockets } = createEmulatorServer(
    {
      router,
      login,
      control: createControlHandler(control),
      tenantId: () => tenant().info.id,
      now: Date.now,
      log,
    },
    options.http ? undefined : { key: tls.key, cert: tls.cert },
  );
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  origin = `${options.http ? "http" : "https"}://127.0.0.1:${port}`;
  log(`listening on ${origin}`);

  const wellKnown = generated.apps;
  const info = tenant().info;
  const admin = tenant().get("user", wellKnown.delegatedUserId);
  const secretOf = (app: LoginApp) => app.secrets[0]?.value ?? "";
  return {
    authorityHost: origin,
    tenantId: info.id,
    tenantDomain: info.domains[0] as string,
    authority: `${origin}/${info.id}`,
    graphBaseUrl: `${origin}/v1.0`,
    graphRoot: origin,
    clientId: wellKnown.primary.clientId,
    clientSecret: secretOf(wellKnown.primary),
    caFile: tls.caFile,
    controlUrl: `${origin}/_emulator`,
    apps: {
      certificate: {
        clientId: wellKnown.certificate.clientId,
        certificateFile: certificate.certificateFile,
        keyFile: certificate.keyFile,
      },
      expiredSecret: {
        clientId: wellKnown.expiredSecret.clientId,
        clientSecret: secretOf(wellKnown.expiredSecret),
      },
      disabled: { clientId: wellKnown.disabled.clientId, clientSecret: secretOf(wellKnown.disabled) },
      delegated: {
        clientId: wellKnown.delegated.clientId,
        clientSecret: secretOf(wellKnown.delegated),
        user: { id: wellKnown.delegatedUserId, userPrincipalName: String(admin?.["userPrincipalName"]) },
      },
    },
    get tenant() {
      return tenant();
    },
    ...control,
    setClock: (offsetMs) => login.setClock(offsetMs),
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      if (ownDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}
