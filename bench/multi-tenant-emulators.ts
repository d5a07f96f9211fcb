/**
 * Many emulated tenants behind one address, for bench/multi-tenant.ts: `--sizes s,s,m,…` starts one
 * emulator per size (plain HTTP on loopback, graph latency, throttling on; seed = position) and a
 * front door that routes by tenant, as Microsoft's hosts do: sign-in by the tenant in the path, Graph
 * by the `tid` of the bearer token. Links in answers name the front door. Prints one JSON line
 * `{url, tenants: [{tenantId, clientId, clientSecret, size}]}`; `GET /_bench/stats` answers each
 * tenant's requests, RU and throttled requests and this process's CPU time. Ends when stdin closes.
 */
import { createServer, request } from "node:http";
import { type Emulator, startEmulator, type TenantSizeName } from "@entra-connector/graph-emulator";

const sizes = (process.argv[process.argv.indexOf("--sizes") + 1] ?? "s").split(",") as TenantSizeName[];
const emulators: Emulator[] = [];
for (const [i, size] of sizes.entries()) {
  emulators.push(
    await startEmulator({
      port: 0,
      size,
      seed: i + 1,
      latency: "graph",
      throttle: true,
      faultRate: 0,
      http: true,
    }),
  );
}
const byTenant = new Map(emulators.map((e) => [e.tenantId, e]));

function tenantOf(path: string, authorization: string | undefined): Emulator | undefined {
  const first = path.split("/")[1] ?? "";
  if (byTenant.has(first)) return byTenant.get(first);
  const payload = authorization?.split(".")[1];
  if (payload === undefined) return emulators[0];
  const { tid } = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as { tid?: string };
  return byTenant.get(tid ?? "") ?? emulators[0];
}

const server = createServer((req, res) => {
  if (req.url === "/_bench/stats") {
    const cpu = process.cpuUsage();
    res.end(
      JSON.stringify({
        cpuMs: (cpu.user + cpu.system) / 1000,
        tenants: emulators.map((e) => {
          const { requests, ru, throttled } = e.stats();
          return { tenantId: e.tenantId, requests, ru, throttled };
        }),
      }),
    );
    return;
  }
  const emu = tenantOf(req.url ?? "/", req.headers.authorization);
  const target = new URL(emu!.graphRoot);
  const upstream = request(
    { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
    (answer) => {
      const chunks: Buffer[] = [];
      answer.on("data", (c: Buffer) => chunks.push(c));
      answer.on("end", () => {
        // Links (nextLink, deltaLink, token issuers) name the emulator's own port: point them here.
        const body = Buffer.from(Buffer.concat(chunks).toString("utf8").replaceAll(emu!.graphRoot, front));
        const headers = { ...answer.headers, "content-length": String(body.length) };
        delete headers["transfer-encoding"];
        res.writeHead(answer.statusCode ?? 502, headers);
        res.end(body);
      });
    },
  );
  upstream.on("error", () => res.destroy());
  req.pipe(upstream);
});
server.keepAliveTimeout = 65_000;
await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
const front = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
process.stdout.write(
  `${JSON.stringify({
    url: front,
    tenants: emulators.map((e, i) => ({
      tenantId: e.tenantId,
      clientId: e.clientId,
      clientSecret: e.clientSecret,
      size: sizes[i],
    })),
  })}\n`,
);
process.stdin.resume();
process.stdin.on("close", async () => {
  server.close();
  await Promise.all(emulators.map((e) => e.close()));
  process.exit(0);
});
