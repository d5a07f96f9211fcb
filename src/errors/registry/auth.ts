import { type ErrorSpec, EXIT } from "../spec.ts";

/** Sign-in failures, each mapped to its cause and fix (src/auth/login-errors.ts), and the token store. */
export const AUTH_ERRORS = {
  TOKEN_STORE_UNREADABLE: {
    message: "The token store {path} could not be decrypted: {reason}",
    fix: "Use the ENTRA_CONNECTOR_KEY (or key file) the store was written with, or delete the store and sign in again.",
    status: 500,
    retryable: false,
    exit: EXIT.auth,
  },
  AUTH_INVALID_SECRET: {
    message: "Sign-in failed: the client secret is not valid for app {clientId} (AADSTS7000215).",
    fix: "Paste the secret's Value (not its Secret ID) from Certificates & secrets, or create a new secret.",
    status: 401,
    retryable: false,
    exit: EXIT.auth,
  },
  AUTH_SECRET_ID_PASTED: {
    message:
      "Sign-in failed: the configured client secret looks like a Secret ID (a GUID), not a secret value (AADSTS7000215).",
    fix: "In Certificates & secrets copy the Value column (shown only when the secret is created), not the Secret ID; create a new secret if the value is lost.",
    status: 401,
    retryable: false,
    exit: EXIT.auth,
  },
  AUTH_SECRET_EXPIRED: {
    message: "Sign-in failed: the client secret of app {clientId} has expired (AADSTS7000222).",
    fix: "Create a new client secret under Certificates & secrets and update ENTRA_CLIENT_SECRET.",
    status: 401,
    retryable: false,
    exit: EXIT.auth,
  },
  AUTH_INVALID_CERTIFICATE: {
    message: "Sign-in failed: the certificate credential was rejected for app {clientId} ({aadsts}).",
    fix: "Upload the certificate (public part) to the app under Certificates & secrets, and check ENTRA_CLIENT_CERTIFICATE and ENTRA_CLIENT_KEY are a matching pair.",
    status: 401,
    retryable: false,
    exit: EXIT.auth,
  },
  AUTH_UNKNOWN_TENANT: {
    message: "Sign-in failed: tenant {tenant} was not found at {authorityHost} (AADSTS90002).",
    fix: "Check ENTRA_TENANT_ID (Directory (tenant) ID on the app's Overview page); if the tenant is in US Gov or China, set ENTRA_CLOUD.",
    status: 400,
    retryable: false,
    exit: EXIT.auth,
  },
  AUTH_UNKNOWN_CLIENT: {
    message: "Sign-in failed: application {clientId} was not found in tenant {tenant} (AADSTS700016).",
    fix: "Check ENTRA_CLIENT_ID (Application (client) ID on the app's Overview page) and that the app is registered in this tenant.",
    status: 400,
    retryable: false,
    exit: EXIT.auth,
  },
  AUTH_APP_DISABLED: {
    message: "Sign-in failed: application {clientId} is disabled (AADSTS7000112).",
    fix: "Enable the enterprise application (Properties → Enabled for users to sign in) or use another app.",
    status: 401,
    retryable: false,
    exit: EXIT.auth,
  },
  AUTH_CONSENT_REQUIRED: {
    message: "Sign-in failed: an administrator has not consented to app {clientId} (AADSTS65001).",
    fix: "Grant admin consent: {consentUrl}",
    status: 403,
    retryable: false,
    exit: EXIT.auth,
  },
  AUTH_WRONG_CLOUD: {
    message: "Sign-in failed: {detail}",
    fix: "Set ENTRA_CLOUD to the cloud the tenant lives in (global, usgov, usgovdod, china), or set ENTRA_AUTHORITY_HOST and ENTRA_GRAPH_URL to the same cloud.",
    status: 400,
    retryable: false,
    exit: EXIT.auth,
  },
  AUTH_CLOCK_SKEW: {
    message: "Sign-in failed: this machine's clock is {skew} away from the login service's ({aadsts}).",
    fix: "Synchronise the system clock (NTP); tokens and client assertions are only valid within a few minutes of real time.",
    status: 400,
    retryable: false,
    exit: EXIT.auth,
  },
  AUTH_REFRESH_EXPIRED: {
    message: "The saved sign-in is no longer valid ({aadsts}): {reason}",
    fix: "Sign in again with `entra-connector login`.",
    status: 401,
    retryable: false,
    exit: EXIT.auth,
  },
  AUTH_LOGIN_REQUIRED: {
    message: "No saved sign-in for this delegated connection ({connection}).",
    fix: "Run `entra-connector login` to sign in once; the refresh token is then stored encrypted and rotated.",
    status: 401,
    retryable: false,
    exit: EXIT.auth,
  },
  AUTH_LOGIN_UNREADABLE: {
    message:
      "The saved sign-in of this delegated connection ({connection}) cannot be decrypted: {path} was sealed with another ENTRA_CONNECTOR_KEY (or key file), or is damaged.",
    fix: "Set ENTRA_CONNECTOR_KEY to the key the sign-in was saved with, or run `entra-connector login` to sign in again (this replaces the saved tokens).",
    status: 401,
    retryable: false,
    exit: EXIT.auth,
  },
  AUTH_LOGIN_FAILED: {
    message: "Interactive sign-in did not complete: {reason}",
    fix: "Run `entra-connector login` again and finish the sign-in in the browser within the time limit.",
    status: 400,
    retryable: false,
    exit: EXIT.auth,
  },
  AUTH_FAILED: {
    message: "Sign-in failed ({aadsts}): {reason}",
    fix: "Check the tenant, client id and credential; the AADSTS code is explained at https://login.microsoftonline.com/error?code={aadstsNumber}",
    status: 401,
    retryable: false,
    exit: EXIT.auth,
  },
} as const satisfies Record<string, ErrorSpec>;
