import { type Dispatcher, fetch } from "undici";

/**
 * An app-only access token for Graph from the emulator's token endpoint (client credentials), for tests
 * and benchmarks that talk to Graph without MSAL. Pass a dispatcher that trusts `emu.caFile` over HTTPS.
 * @example const token = await appToken(emu, { dispatcher: new Agent({ connect: { ca } }) });
 */
export async function appToken(
  emu: { authority: string; clientId: string; clientSecret: string },
  options: { dispatcher?: Dispatcher; clientId?: string; clientSecret?: string } = {},
): Promise<string> {
  const response = await fetch(`${emu.authority}/oauth2/v2.0/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "client_credentials",
      client_id: options.clientId ?? emu.clientId,
      client_secret: options.clientSecret ?? emu.clientSecret,
      scope: "https://graph.microsoft.com/.default",
    }).toString(),
    ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}),
  });
  const body = (await response.json()) as { access_token?: string; error_description?: string };
  if (!body.access_token)
    throw new Error(`token request failed: ${response.status} ${body.error_description ?? ""}`);
  return body.access_token;
}
