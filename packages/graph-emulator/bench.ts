/**
 * Benchmark of the emulator itself: start time and memory at a size (default xl), and requests/s for
 * 999-user pages over keep-alive HTTPS. The emulator runs in its own process (the CLI), so the client's
 * work is not counted against it.
 *
 *   npx node packages/graph-emulator/bench.ts [--size xl] [--runs 3] [--requests 300]
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { Agent, request } from "undici";
import { appToken } from "./src/app-token.ts";

const { values } = parseArgs({
  options: {
    size: { type: "string", default: "xl" },
    runs: { type: "string", default: "3" },
    requests: { type: "string", default: "300" },
  },
});
const runs = Number(values.runs);
const requests = Number(values.requests);
const bin = fileURLToPath(new URL("./bin/graph-emulator.js", import.meta.url));

interface Started {
  info: {
    authority: string;
    graphBaseUrl: string;
    clientId: string;
    clientSecret: string;
    caFile: string;
    controlUrl: string;
  };
  startMs: number;
  stop(): Promise<void>;
  rssMb(): number;
}

async function startCli(size: string): Promise<Started> {
  const began = performance.now();
  const child = spawn(process.execPath, [bin, "--size", size, "--seed", "1"], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).once("line", resolve);
    child.once("exit", (code) => reject(new Error(`emulator exited with ${code}`)));
  });
  const startMs = performance.now() - began;
  return {
    info: JSON.parse(line),
    startMs,
    rssMb: () => {
      const status = readFileSync(`/proc/${child.pid}/status`, "utf8");
      return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
    },
    stop: () =>
      new Promise((resolve) => {
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
};

async function pageBench(started: Started, concurrency: number) {
  const { info } = started;
  const agent = new Agent({
    connect: { ca: readFileSync(info.caFile) },
    connections: concurrency,
    pipelining: 1,
  });
  const access_token = await appToken(info, { dispatcher: agent });
  const headers = { authorization: `Bearer ${access_token}` };
  // Follow the nextLink chain (wrapping around), as a real full read does.
  let next = `${info.graphBaseUrl}/users?$top=999`;
  const latencies: number[] = [];
  let bytes = 0;
  const began = performance.now();
  let issued = 0;
  const worker = async () => {
    while (issued < requests) {
      issued += 1;
      const url = next;
      const t0 = performance.now();
      const reply = await request(url, { headers, dispatcher: agent });
      const text = await reply.body.text();
      const body = JSON.parse(text) as { value: unknown[]; "@odata.nextLink"?: string };
      latencies.push(performance.now() - t0);
      if (reply.statusCode !== 200 || (body.value.length !== 999 && body["@odata.nextLink"]))
        throw new Error(`bad page ${reply.statusCode}`);
      bytes += text.length;
      next = body["@odata.nextLink"] ?? `${info.graphBaseUrl}/users?$top=999`;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - began) / 1000;
  await agent.close();
  return {
    concurrency,
    requestsPerSec: Math.round(latencies.length / seconds),
    medianMs: Number(median(latencies).toFixed(1)),
    mbPerPage: Number((bytes / latencies.length / 1e6).toFixed(2)),
  };
}

const starts: number[] = [];
const rss: number[] = [];
let pages: Awaited<ReturnType<typeof pageBench>>[] = [];
for (let run = 0; run < runs; run++) {
  const started = await startCli(String(values.size));
  starts.push(started.startMs);
  rss.push(started.rssMb());
  if (run === runs - 1) pages = [await pageBench(started, 1), await pageBench(started, 4)];
  await started.stop();
}
console.log(
  JSON.stringify(
    {
      size: values.size,
      runs,
      medianStartMs: Math.round(median(starts)),
      medianRssMbAfterStart: Math.round(median(rss)),
      pages999: pages,
    },
    null,
    2,
  ),
);
