/**
 * An in-process Graph router for route tests: the real Router, permissions, faults and (optionally)
 * throttling, without sockets or tokens. Integration tests use startEmulator instead.
 */
import { Faults } from "../faults/faults.ts";
import { TenantModel } from "../tenant/model.ts";
import type { TenantInfo } from "../tenant/types.ts";
import { Throttle, type ThrottleSettings } from "../throttle/throttle.ts";
import { PERMISSION_PRESETS } from "./permissions.ts";
import { type GraphReply, Router } from "./router.ts";

export const TEST_ROOT = "https://graph.test";

export interface TestRouterOptions {
  tenant?: TenantModel;
  info?: Partial<TenantInfo>;
  permissions?: readonly string[];
  register: ((router: Router) => void)[];
  throttle?: ThrottleSettings;
  now?: () => number;
}

export interface TestCall {
  headers?: Record<string, string>;
  body?: unknown;
  permissions?: readonly string[];
}

export interface TestRouter {
  router: Router;
  tenant: TenantModel;
  faults: Faults;
  /** User ids whose sign-in sessions were revoked, in order. */
  revoked: string[];
  call(
    method: string,
    url: string,
    options?: TestCall,
  ): Promise<GraphReply & { body: Record<string, unknown> }>;
}

export function newTestTenant(info: Partial<TenantInfo> = {}): TenantModel {
  return new TenantModel({
    id: "00000000-0000-0000-0000-00000000ten7",
    displayName: "Contoso",
    domains: ["contoso.onmicrosoft.com", "contoso.com"],
    hasP2: true,
    ...info,
  });
}

/** `call("GET", "/v1.0/users/delta?$select=displayName")` dispatches like the server would. */
export function testRouter(options: TestRouterOptions): TestRouter {
  const tenant = options.tenant ?? newTestTenant(options.info);
  const now = options.now ?? Date.now;
  const faults = new Faults({}, now);
  const revoked: string[] = [];
  const router = new Router({
    tenant: () => tenant,
    root: () => TEST_ROOT,
    throttle: new Throttle(options.throttle ?? { enabled: false }, now),
    faults,
    stats: { requests: 0, ru: 0, throttled: 0, byRoute: {} },
    now,
    revokeSignInSessions: (userId) => revoked.push(userId),
  });
  for (const register of options.register) register(router);
  let counter = 0;
  return {
    router,
    tenant,
    faults,
    revoked,
    async call(method, url, call = {}) {
      const parsed = new URL(url, TEST_ROOT);
      const [, version = "v1.0", ...rest] = parsed.pathname.split("/");
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(call.headers ?? {})) headers[k.toLowerCase()] = v;
      counter += 1;
      const reply = await router.dispatch({
        method,
        version: version === "beta" ? "beta" : "v1.0",
        path: `/${rest.join("/")}`,
        query: parsed.searchParams,
        headers,
        body: call.body === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(call.body)),
        caller: {
          appId: "app",
          tenantId: tenant.info.id,
          oid: "sp",
          delegated: false,
          permissions: call.permissions ?? options.permissions ?? PERMISSION_PRESETS.write,
        },
        requestId: `req-${counter}`,
        clientRequestId: `req-${counter}`,
      });
      return reply as GraphReply & { body: Record<string, unknown> };
    },
  };
}
