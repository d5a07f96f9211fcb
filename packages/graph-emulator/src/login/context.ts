import type { SigningKey } from "../crypto/index.ts";
import type { GrantStore } from "./grant-store.ts";
import type { LoginDirectory } from "./types.ts";

/** What every login route needs; built once by createLoginService. */
export interface LoginContext {
  directory: LoginDirectory;
  origin: () => string;
  /** Epoch ms, including the clock offset tests set. */
  now: () => number;
  accessTokenLifetimeSec: number;
  refreshTokenLifetimeSec: number;
  grants: GrantStore;
  signingKey: () => Promise<SigningKey>;
}
