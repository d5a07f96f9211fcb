import { createHash, randomBytes } from "node:crypto";
import { type Dispatcher, fetch } from "undici";

interface DelegatedEmulator {
  authority: string;
  apps: { delegated: { clientId: string; clientSecret: string } };
}

type Options = { dispatcher?: Dispatcher };

const REDIRECT = "http://localhost:8400/callback";
const SCOPE = "https://graph.microsoft.com/User.Read openid profile offline_access";

/**
 * Signs the delegated app's user in (authorize with PKCE, which the emulator auto-approves, then the
 * code redeemed) and returns the delegated tokens: for tests of refresh tokens and session revocation.
 */
export async function delegatedTokens(
  emu: DelegatedEmulator,
  options: Options = {},
): Promise<{ accessToken: string; refreshToken: string }> {
  const app = emu.apps.delegated;
  const verifier = randomBytes(32).toString("base64url");
  const query = new URLSearchParams({
    client_id: app.clientId,
    response_type: "code",
    redirect_uri: REDIRECT,
    scope: SCOPE,
    code_challenge: createHash("sha256").update(verifier).digest("base64url"),
    code_challenge_method: "S256",
  });
  const authorize = await fetch(`${emu.authority}/oauth2/v2.0/authorize?${query}`, {
    redirect: "manual",
    ...options,
  });
  await authorize.arrayBuffer();
  const location = authorize.headers.get("location");
  const code = location ? new URL(location).searchParams.get("code") : null;
  if (!code) throw new Error(`authorize gave no code: ${authorize.status} ${location ?? ""}`);
  const { status, body } = await tokenRequest(
    emu,
    {
      grant_type: "authorization_code",
      code,
      redirect_uri: REDIRECT,
      code_verifier: verifier,
    },
    options,
  );
  if (status !== 200) throw new Error(`code redemption failed: ${status} ${body["error_description"]}`);
  return { accessToken: String(body["access_token"]), refreshToken: String(body["refresh_token"]) };
}

/** Redeems a refresh token for the delegated app; the token endpoint's status and JSON body as they are. */
export function refreshDelegated(
  emu: DelegatedEmulator,
  refreshToken: string,
  options: Options = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  return tokenRequest(emu, { grant_type: "refresh_token", refresh_token: refreshToken }, options);
}

async function tokenRequest(
  emu: DelegatedEmulator,
  form: Record<string, string>,
  options: Options,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const app = emu.apps.delegated;
  const response = await fetch(`${emu.authority}/oauth2/v2.0/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      client_id: app.clientId,
      client_secret: app.clientSecret,
      ...form,
    }).toString(),
    ...options,
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}
