/**
 * The per-object pattern, for `npm run bench` to compare our sync with: reads the same data (users
 * with their manager and licences, groups with members and owners, apps with owners and
 * assignments, directory roles with members, subscribed SKUs) the way per-object connectors do, with
 * Microsoft's Graph client and its default middleware (its RetryHandler waits out 429s as
 * Retry-After asks). One request at a time, every page followed, a list of related objects per
 * group, app and role: no `$batch`, no delta. The top-level lists use the same `$top=999`, manager
 * expansion and licence property as our sync, so the difference measured is the fan-out alone.
 *
 * Runs as its own process (peak RSS is its own), connection from the environment `connectorEnv`
 * sets; prints one JSON line. The caller reads requests (as Graph counts them) and RU from the
 * emulator's stats around it; `httpRequests` counts the round trips this process made.
 */
import { readFileSync } from "node:fs";
import tls from "node:tls";
import { Client, RetryHandlerOptions } from "@microsoft/microsoft-graph-client";

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run this through bench/run.ts`);
  return value;
};

// What NODE_EXTRA_CA_CERTS does at start-up: the Graph client uses the global fetch.
tls.setDefaultCACertificates([
  ...tls.getCACertificates("default"),
  readFileSync(env("ENTRA_CA_FILE"), "utf8"),
]);

const tokenUrl = `${env("ENTRA_AUTHORITY_HOST")}/${env("ENTRA_TENANT_ID")}/oauth2/v2.0/token`;
let token: { value: string; until: number } | undefined;

/** A client-credentials token, taken again a minute before it expires. */
async function getAccessToken(): Promise<string> {
  if (token && Date.now() < token.until) return token.value;
  const response = await fetch(tokenUrl, {
    method: "POST",
    body: new URLSearchParams({
      grant_type: "client_credentials",
      client_id: env("ENTRA_CLIENT_ID"),
      client_secret: env("ENTRA_CLIENT_SECRET"),
      scope: "https://graph.microsoft.com/.default",
    }),
  });
  if (!response.ok) throw new Error(`the token request failed: HTTP ${response.status}`);
  const body = (await response.json()) as { access_token: string; expires_in: number };
  token = { value: body.access_token, until: Date.now() + (body.expires_in - 60) * 1000 };
  return token.value;
}

const graphUrl = env("ENTRA_GRAPH_URL");
/**
 * Attempts on the wire to Graph (the client sends through the global fetch), retries included; not
 * the token requests, which may go to the same host.
 */
let httpRequests = 0;
const send = globalThis.fetch;
globalThis.fetch = (input, init) => {
  if (String(input instanceof Request ? input.url : input).startsWith(`${graphUrl}/v1.0/`)) httpRequests++;
  return send(input, init);
};
const client = Client.initWithMiddleware({
  baseUrl: graphUrl,
  customHosts: new Set([new URL(graphUrl).hostname]),
  authProvider: { getAccessToken },
});
// The default chain's RetryHandler with its default delay (3 s, used when Retry-After is absent) and
// the most retries it allows (10): under throttling its default three are not enough.
const retry = new RetryHandlerOptions(3, 10);

type Item = Record<string, unknown> & { id: string };

/** Every item of a collection, one page after the other. */
async function list(path: string): Promise<Item[]> {
  const items: Item[] = [];
  let next: string | undefined = path;
  while (next) {
    const page = (await client.api(next).middlewareOptions([retry]).get()) as {
      value: Item[];
      "@odata.nextLink"?: string;
    };
    items.push(...page.value);
    next = page["@odata.nextLink"];
  }
  return items;
}

const started = performance.now();
const users = await list(
  "/users?$select=id,displayName,userPrincipalName,mail,accountEnabled,assignedLicenses&$top=999&$expand=manager($select=id)",
);
const skus = await list("/subscribedSkus");
const groups = await list("/groups?$select=id,displayName,mail,securityEnabled,groupTypes&$top=999");
let edges = 0;
for (const group of groups) {
  edges += (await list(`/groups/${group.id}/members?$select=id&$top=999`)).length;
  edges += (await list(`/groups/${group.id}/owners?$select=id&$top=999`)).length;
}
const apps = await list("/servicePrincipals?$select=id,appId,displayName,appRoles&$top=999");
for (const app of apps) {
  edges += (await list(`/servicePrincipals/${app.id}/owners?$select=id&$top=999`)).length;
  edges += (await list(`/servicePrincipals/${app.id}/appRoleAssignedTo?$top=999`)).length;
}
const roles = await list("/directoryRoles");
for (const role of roles) {
  edges += (await list(`/directoryRoles/${role.id}/members?$select=id`)).length;
}
const wallMs = performance.now() - started;
const usage = process.resourceUsage();
process.stdout.write(
  `${JSON.stringify({
    wallMs,
    cpuMs: (usage.userCPUTime + usage.systemCPUTime) / 1000,
    maxRssMb: usage.maxRSS / 1024,
    httpRequests,
    objects: users.length + skus.length + groups.length + apps.length + roles.length,
    edges,
  })}\n`,
);
