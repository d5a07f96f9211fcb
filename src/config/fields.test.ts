import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { test } from "node:test";
import { FIELDS, type FieldName, fieldHelp } from "./fields.ts";

const DOCS = new URL("../../docs/configuration.md", import.meta.url);

function renderConfigDocs(): string {
  const lines = [
    "# Configuration",
    "",
    "Generated from `src/config/fields.ts`; `src/config/fields.test.ts` fails when this page is out of step.",
    "Regenerate with `UPDATE_CONFIG_DOCS=1 npx node --test src/config/fields.test.ts`.",
    "",
    "Each setting comes from a flag, else an environment variable, else the JSON config file given by",
    "`--config` / `ENTRA_CONFIG` (keys as in the last column), else its default; every command resolves them",
    "the same way (`src/config/load.ts`). A bad value is refused before any request, with an error naming where",
    "it came from. The token store key is `ENTRA_CONNECTOR_KEY` (32 bytes, base64 or hex); without it a key",
    "file is generated (0600) beside the store.",
    "",
    "| environment | flag | config file key | meaning |",
    "|---|---|---|---|",
  ];
  for (const name of Object.keys(FIELDS) as FieldName[]) {
    const f = FIELDS[name];
    lines.push(`| \`${f.env}\` | ${f.flag ? `\`${f.flag}\`` : "—"} | \`${name}\` | ${fieldHelp(name)} |`);
  }
  lines.push(
    "",
    "## Store location",
    "",
    "The store is a SQLite file or a schema of a PostgreSQL database. `--store` / `ENTRA_STORE` / `store` accepts:",
    "",
    "- a file path: `./entra-connector.db` (the default), `/var/lib/entra/store.db`. The file and its tables",
    "  are created on first use; the folder must exist (else `STORE_LOCATION_INVALID`).",
    "- the same path after `sqlite:` or `file:`: `sqlite:./store.db`, `file:/var/lib/entra/store.db`.",
    "- `:memory:`: a store that lasts as long as the process.",
    "- a PostgreSQL URL, `postgres://user:password@host:5432/database?schema=entra` (or `postgresql://`). The",
    "  store lives in the schema the URL names (`public` when it names none), so several stores share one",
    "  database; its tables are created, and later versions' migrations applied, on first use (or by",
    "  `entra-connector store migrate`). The other query parameters are node-postgres's: `sslmode=require`,",
    "  `statement_timeout=<ms>` (default 60000; a statement that runs longer fails with `STORE_TIMEOUT`),",
    "  `application_name=…`. A server that cannot be reached is `STORE_UNREACHABLE`; messages name the URL",
    "  without its password. A sync's page that the server breaks off (a restart, a terminated connection)",
    "  runs again on a new connection for up to 30 s before the sync fails; nothing of it is half-written.",
    "",
    "Any other `scheme://…` is refused before any request with `STORE_UNSUPPORTED` (exit code 2), e.g.",
    "`mysql://user:pw@db/entra` answers `Store locations of the form mysql://… are not supported yet.` Only the",
    "scheme is echoed, as a database URL may carry a password. This includes `sqlite:///…` and `file:///…`:",
    "write `sqlite:/abs/path.db` or the bare path instead.",
    "",
    "## Property selection",
    "",
    "`--properties` / `ENTRA_PROPERTIES` / `properties` narrows what `sync` reads of users, groups and apps:",
    "`user:displayName,department;group:displayName` (resources `user`, `group`, `app`; `;` between them, `,`",
    "between properties). In the config file it may also be an object:",
    '`"properties": {"user": ["displayName", "department"], "group": ["displayName"]}`. The connector keeps the',
    "properties it depends on whatever the selection (e.g. a user's userPrincipalName and accountEnabled, a",
    "group's groupTypes). An unknown resource or property is refused before any request, naming where the",
    "value came from and the properties to choose from. Changing the selection makes the next sync of that",
    "resource a full one, since what the store holds was read with another.",
    "",
    "## Durations",
    "",
    "Every duration (`watch --interval`, `--app-assignments-every`, `--dead-letter-after`, `--webhook-timeout`,",
    "`--retry-base`, `--retry-max`, `demo --interval`, `ENTRA_SCHEDULE=every …`) is a number and a unit: `500ms`,",
    "`30s`, `5m`, `1.5h`, `7d`.",
    "A bare number is refused (`3` asks for `3s` or `3m`), except `0` where it means every time",
    "(`--app-assignments-every 0`). The shortest is 100ms (10ms for the webhook timeout and retry delays, 1s",
    "for a schedule), the longest 24d, the longest timer Node keeps; outside them the value is refused naming",
    "the limit. The",
    "library's millisecond options (`runWatch`'s `intervalMs`) are held to the same ceiling.",
  );
  return lines.join("\n") + "\n";
}

test("docs/configuration.md lists every setting", () => {
  const expected = renderConfigDocs();
  if (process.env["UPDATE_CONFIG_DOCS"] === "1") writeFileSync(DOCS, expected);
  assert.equal(
    readFileSync(DOCS, "utf8"),
    expected,
    "docs/configuration.md is stale: run `UPDATE_CONFIG_DOCS=1 npx node --test src/config/fields.test.ts`",
  );
});
