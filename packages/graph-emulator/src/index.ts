/**
 * @entra-connector/graph-emulator: a local Microsoft Graph + Microsoft identity platform emulator.
 * @example
 *   const emu = await startEmulator({ size: "s", seed: 1, permissions: "write" });
 *   // ... point MSAL / the Graph SDK / the connector at emu.authorityHost and emu.graphRoot (trust emu.caFile)
 *   await emu.close();
 */
export { appToken } from "./app-token.ts";
export type { FaultPatch } from "./control.ts";
export { delegatedTokens, refreshDelegated } from "./delegated-token.ts";
export { type Emulator, type EmulatorOptions, startEmulator } from "./emulator.ts";
export { PERMISSION_PRESETS } from "./graph/permissions.ts";
export {
  type Fault,
  type ScimServer,
  type ScimServerOptions,
  type Stored,
  type StoredGroup,
  startScimServer,
} from "./scim/server.ts";
export type { MutationRecord } from "./tenant/mutate.ts";
export { TENANT_SIZES, type TenantCounts, type TenantSizeName } from "./tenant/sizes.ts";
