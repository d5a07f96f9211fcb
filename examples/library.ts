/**
 * The connector as a library: a program that imports only `entra-connector` signs in, opens a store,
 * syncs the tenant and lists its users. Settings come from the environment, flags aside, as for the
 * CLI (ENTRA_TENANT_ID, ENTRA_CLIENT_ID, ENTRA_CLIENT_SECRET, ENTRA_STORE, …: docs/configuration.md).
 *
 *   npx node examples/library.ts
 */
import { createConnection, loadConfig, openStore, parseKinds, runSync } from "entra-connector";

const config = loadConfig();
const connection = createConnection(config);
const store = await openStore(config.store);
try {
  // Signs in on the first request; the token is cached, encrypted, beside the store.
  const summary = await runSync({
    client: connection.graph,
    store,
    tenantId: config.tenantId,
    options: {
      kinds: parseKinds("users,groups"),
      full: false,
      skipAdGroups: config.skipAdGroups,
      properties: config.properties,
    },
  });
  console.error(`sync ${summary.run.status}: ${summary.totals.objects} objects`);
  for await (const user of store.query.resources({ kind: "user" })) {
    console.log(`${user.id}\t${user.data["userPrincipalName"]}\t${user.data["displayName"]}`);
  }
} finally {
  await connection.close();
  await store.close();
}
