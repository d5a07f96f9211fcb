export { TOKEN_MESSAGES, type VerifyResult } from "./access-token-verifier.ts";
export { GRAPH_APP_ID, GRAPH_AUDIENCE } from "./scopes.ts";
export { createLoginService, type LoginService } from "./service.ts";
export type {
  AccessTokenClaims,
  LoginApp,
  LoginDirectory,
  LoginServiceOptions,
  LoginTenant,
  LoginUser,
} from "./types.ts";
