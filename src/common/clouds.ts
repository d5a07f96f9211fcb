/**
 * National clouds: one setting picks both the login and the Graph host (docs/graph.md#clouds).
 * Tokens from one cloud are useless in another, so the scope's resource follows the cloud too.
 */
export const CLOUDS = {
  global: { authorityHost: "https://login.microsoftonline.com", graphUrl: "https://graph.microsoft.com" },
  usgov: { authorityHost: "https://login.microsoftonline.us", graphUrl: "https://graph.microsoft.us" },
  usgovdod: { authorityHost: "https://login.microsoftonline.us", graphUrl: "https://dod-graph.microsoft.us" },
  china: {
    authorityHost: "https://login.chinacloudapi.cn",
    graphUrl: "https://microsoftgraph.chinacloudapi.cn",
  },
} as const;

export type CloudName = keyof typeof CLOUDS;
export const CLOUD_NAMES = Object.keys(CLOUDS) as CloudName[];

/** The cloud a well-known login or Graph host belongs to, if any. */
export function cloudsOfHost(url: string): CloudName[] {
  const host = new URL(url).host;
  return CLOUD_NAMES.filter(
    (c) => new URL(CLOUDS[c].authorityHost).host === host || new URL(CLOUDS[c].graphUrl).host === host,
  );
}
