/**
 * A process spending Graph's read budget as fast as its limiter lets it, as a worker does: batches of
 * twenty `transitiveMembers` reads (100 RU each) on the tenant ENTRA_* configures, through a connection
 * that spends the budget shared in PostgreSQL (SPEND_QUEUE, SPEND_SCHEMA). Prints its client's figures
 * as one JSON line.
 */
import { createConnection, loadConfig, postgresBudget } from "../../src/index.ts";

const batches = Number(process.env["SPEND_BATCHES"] ?? "40");
const budget = postgresBudget({
  connectionString: process.env["SPEND_QUEUE"] as string,
  schema: process.env["SPEND_SCHEMA"] as string,
});
const connection = createConnection(loadConfig(), { persistTokens: false, budget });
try {
  const { value: groups } = await connection.graph.get<{ value: { id: string }[] }>(
    "/groups?$select=id&$top=20",
  );
  const requests = groups.map((g, i) => ({
    id: String(i),
    method: "GET" as const,
    url: `/groups/${g.id}/transitiveMembers`,
  }));
  // Two batches in flight, as a sync's relationship reads keep several going.
  const lanes = [0, 1].map(async (lane) => {
    for (let i = lane; i < batches; i += 2) {
      for (const answer of await connection.graph.batch(requests)) {
        if (answer.status !== 200) throw new Error(`a read answered ${answer.status}`);
      }
    }
  });
  await Promise.all(lanes);
  process.stdout.write(`${JSON.stringify(connection.graph.stats())}\n`);
} finally {
  await connection.close();
  await budget.close();
}
