/** The emulator package's SCIM service with the tests' token, and a free local port for fake services. */
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { type ScimServer, startScimServer as start } from "@entra-connector/graph-emulator";

export type { Fault, ScimServer, Stored, StoredGroup } from "@entra-connector/graph-emulator";

export function startScimServer(token = "test-token-3f9a1c"): Promise<ScimServer> {
  return start({ token });
}

export async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}
