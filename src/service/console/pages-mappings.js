/**
 * Mappings of a connection: the list with each one's last run and quarantine, and a mapping's page —
 * Sync Now (incremental or full), a dry run's plan, one record synced with its steps, the run history,
 * the per-record log with filters, and its definition edited by pasting YAML.
 */
import { api, enc } from "./api.js";
import { heading, navigate } from "./app.js";
import { announce, badge, errorBox, field, fill, h, pretty, table, when } from "./ui.js";

const BASE = (id) => `/connections/${enc(id)}/mappings`;

/** `create.ok 3, update.failed 1` → `create 3 · update 1 failed`. */
function countsText(counts = {}) {
  const parts = Object.entries(counts).map(([key, n]) => {
    const [action, result] = key.split(".");
    return result === "ok" ? `${action} ${n}` : `${action} ${n} ${result}`;
  });
  return parts.length === 0 ? "nothing to do" : parts.join(" · ");
}

function quarantineText(q) {
  return q ? ["Quarantined until ", when(q.until), `: ${q.reason}`] : "No";
}

function definitionForm(id, onSaved, { name, text = "" } = {}) {
  const status = h("div", { "aria-live": "polite" });
  const area = h("textarea", {
    id: name ? "mapping-edit" : "mapping-new",
    name: "definition",
    rows: "18",
    spellcheck: "false",
    required: true,
  });
  area.value = text;
  return h(
    "form",
    {
      class: "card",
      onsubmit: async (event) => {
        event.preventDefault();
        const button = event.currentTarget.querySelector("button[type=submit]");
        button.disabled = true;
        fill(status);
        try {
          const saved = name
            ? await api("PUT", `${BASE(id)}/${enc(name)}`, area.value)
            : await api("POST", BASE(id), area.value);
          announce(`Mapping ${saved.name} saved.`);
          onSaved(saved);
        } catch (err) {
          fill(status, errorBox(err));
        } finally {
          button.disabled = false;
        }
      },
    },
    h("h2", {}, name ? "Edit the definition" : "New mapping"),
    field(
      "Definition (YAML or JSON)",
      area,
      name
        ? "Secrets left out keep the ones held; give a new value to change one."
        : "As a mapping file: name, source, match, attributes, target; optionally schedule, timeZone and afterSync: true. Secrets are sealed and never shown again.",
    ),
    status,
    h("button", { type: "submit" }, name ? "Save" : "Create mapping"),
  );
}

export async function mappingsPage(root, [id]) {
  const list = h("div", {});
  const refresh = async () => {
    const { items } = await api("GET", BASE(id));
    fill(
      list,
      table(
        "Mappings",
        ["Name", "Target", "Runs", "Last run", "Quarantined"],
        items.map((m) => [
          h("a", { href: `/console/connections/${enc(id)}/mappings/${enc(m.name)}` }, m.name),
          h("code", {}, m.target),
          [m.schedule ? `schedule ${m.schedule}` : "", m.afterSync ? " after each sync" : ""].join("") ||
            "on request",
          m.lastRun
            ? [badge(m.lastRun.status), " ", when(m.lastRun.startedAt), ` (${countsText(m.lastRun.counts)})`]
            : "never",
          quarantineText(m.quarantine),
        ]),
        "No mapping yet.",
      ),
    );
  };
  await refresh();
  fill(
    root,
    heading("Mappings"),
    list,
    definitionForm(id, (saved) => navigate(`/console/connections/${enc(id)}/mappings/${enc(saved.name)}`)),
  );
}

/** A plan's actions as rows: what would be done to whom, and why. */
function planRows(actions) {
  return actions
    .filter((a) => !(a.kind === "skip" && (a.reason === "upToDate" || a.reason === "notProvisioned")))
    .map((a) => [
      a.userId,
      a.kind,
      a.key ?? a.targetId ?? "",
      a.kind === "update"
        ? a.changes
            .map((c) => `${c.path}: ${JSON.stringify(c.old ?? null)} → ${JSON.stringify(c.new ?? null)}`)
            .join("; ")
        : a.kind === "skip"
          ? `${a.reason}: ${a.detail}`
          : a.reason,
    ]);
}

export async function mappingPage(root, [id, name]) {
  const base = `${BASE(id)}/${enc(name)}`;
  const summary = h("div", {});
  const result = h("div", { "aria-live": "polite" });
  const runs = h("div", {});
  const logs = h("div", {});
  let editing = false;

  const showRun = (run) => {
    const report = run.report ?? {};
    fill(
      result,
      h(
        "section",
        { class: "card", "aria-labelledby": "run-result-title" },
        h("h2", { id: "run-result-title" }, run.dryRun ? "Dry run: the plan" : "Run"),
        h("p", { role: "status" }, badge(run.status), " ", countsText(run.counts)),
        run.error ? errorBox(run.error) : null,
        report.steps
          ? table(
              "Steps",
              ["Step", "Outcome"],
              report.steps.map((s) => [s.step, s.outcome]),
            )
          : null,
        report.plan
          ? table(
              "Planned actions",
              ["User", "Action", "Record", "Why / change"],
              planRows([...report.plan.actions, ...report.plan.held]),
              "Nothing to do: the target matches.",
            )
          : null,
        report.failures?.length
          ? table(
              "Failures",
              ["User", "Action", "Error"],
              report.failures.map((f) => [f.userId, f.action, f.error]),
            )
          : null,
      ),
    );
  };

  const start = (body) => async () => {
    announce("");
    fill(result, h("p", { role: "status" }, body.dryRun ? "Planning…" : "Starting…"));
    try {
      let run = await api("POST", `${base}/runs`, body);
      while (run.status === "queued" || run.status === "running") {
        showRun(run);
        await new Promise((r) => setTimeout(r, 500));
        run = await api("GET", `${base}/runs/${enc(run.runId)}`);
      }
      showRun(run);
      announce(`${body.dryRun ? "Dry run" : "Run"} ${run.status}.`);
      await Promise.all([refreshSummary(), refreshRuns(), refreshLogs()]);
    } catch (err) {
      fill(result, errorBox(err));
    }
  };

  const refreshSummary = async () => {
    const m = await api("GET", base);
    fill(
      summary,
      h(
        "dl",
        { class: "facts" },
        h("dt", {}, "Target"),
        h("dd", {}, h("code", {}, m.target)),
        h("dt", {}, "Runs"),
        h(
          "dd",
          {},
          m.schedule ? `schedule ${m.schedule}` : "on request",
          m.afterSync ? ", after each sync" : "",
        ),
        h("dt", {}, "Next scheduled run"),
        h("dd", {}, when(m.nextRunAt)),
        h("dt", {}, "Secrets"),
        h(
          "dd",
          {},
          Object.keys(m.secrets).length === 0
            ? "none held"
            : Object.entries(m.secrets).map(([path, s]) => [
                h("code", {}, path),
                " set ",
                when(s.changedAt),
                " ",
              ]),
        ),
        h("dt", {}, "Quarantined"),
        h("dd", {}, quarantineText(m.quarantine)),
      ),
    );
    return m;
  };

  const refreshRuns = async () => {
    const { items } = await api("GET", `${base}/runs`);
    fill(
      runs,
      h("h2", {}, "Run history"),
      table(
        `Runs of ${name}`,
        ["#", "Kind", "Status", "Started", "Records", "Error"],
        items.map((r) => [
          String(r.number ?? ""),
          r.kind ?? "",
          badge(r.status),
          when(r.startedAt ?? r.queuedAt),
          countsText(r.counts),
          r.error?.message ?? "",
        ]),
        "No run yet.",
      ),
    );
  };

  const filters = h(
    "form",
    {
      class: "filters",
      onsubmit: (event) => {
        event.preventDefault();
        refreshLogs();
      },
    },
    field("Run (number)", h("input", { id: "log-run", name: "run", inputmode: "numeric" })),
    field("User (id or UPN)", h("input", { id: "log-user", name: "user", spellcheck: "false" })),
    field(
      "Result",
      h(
        "select",
        { id: "log-status", name: "status" },
        h("option", { value: "" }, "any"),
        h("option", { value: "ok" }, "ok"),
        h("option", { value: "failed" }, "failed"),
        h("option", { value: "held" }, "held"),
      ),
    ),
    h("button", { type: "submit", class: "secondary" }, "Filter"),
  );
  const logRows = [];
  const logTable = h("div", {});
  const more = h("div", {});
  const loadLogs = async (cursor) => {
    const query = new URLSearchParams();
    for (const [key, value] of new FormData(filters)) if (value) query.set(key, String(value));
    query.set("limit", "50");
    if (cursor) query.set("cursor", cursor);
    const page = await api("GET", `${base}/logs?${query}`);
    logRows.push(
      ...page.items.map((e) => [
        when(e.at),
        e.userId,
        e.action,
        badge(e.result === "ok" ? "succeeded" : e.result === "failed" ? "failed" : e.result),
        e.targetId ?? "",
        e.changes
          ? e.changes
              .map((c) => `${c.path}: ${JSON.stringify(c.old ?? null)} → ${JSON.stringify(c.new ?? null)}`)
              .join("; ")
          : e.reason,
        e.detail ?? "",
      ]),
    );
    fill(
      logTable,
      table(
        `Log of ${name}`,
        ["When", "User", "Action", "Result", "Target id", "Changes / reason", "Detail"],
        logRows,
        "No record logged.",
      ),
    );
    fill(
      more,
      page.next
        ? h("button", { type: "button", class: "secondary", onclick: () => loadLogs(page.next) }, "More")
        : null,
    );
  };
  const refreshLogs = async () => {
    logRows.length = 0;
    try {
      await loadLogs();
    } catch (err) {
      fill(logTable, errorBox(err));
    }
  };
  fill(logs, h("h2", {}, "Per-record log"), filters, logTable, more);

  const userInput = h("input", { id: "sync-user", name: "user", required: true, spellcheck: "false" });
  const oneRecord = h(
    "form",
    {
      class: "inline",
      onsubmit: (event) => {
        event.preventDefault();
        start({ user: userInput.value.trim() })();
      },
    },
    field("Sync one record (user id or UPN)", userInput),
    h("button", { type: "submit", class: "secondary" }, "Sync record"),
  );

  const m = await refreshSummary();
  const editor = h("div", {});
  const toggleEdit = async () => {
    editing = !editing;
    fill(
      editor,
      editing
        ? definitionForm(
            id,
            async () => {
              editing = false;
              fill(editor);
              await refreshSummary();
            },
            // JSON is YAML: the document as held, secrets left out, edits as pasted text.
            { name, text: JSON.stringify((await api("GET", base)).document, null, 2) },
          )
        : null,
    );
  };
  fill(
    root,
    heading(`Mapping ${m.name}`),
    summary,
    h(
      "div",
      { class: "actions" },
      h("button", { type: "button", onclick: start({ mode: "incremental" }) }, "Sync Now"),
      h("button", { type: "button", class: "secondary", onclick: start({ mode: "full" }) }, "Full sync"),
      h(
        "button",
        { type: "button", class: "secondary", onclick: start({ mode: "full", dryRun: true }) },
        "Dry run",
      ),
      h(
        "button",
        {
          type: "button",
          class: "secondary",
          onclick: async () => {
            try {
              showRun(await api("POST", `${base}/allow-deletes`));
            } catch (err) {
              fill(result, errorBox(err));
            }
          },
        },
        "Allow held deletes",
      ),
      h("button", { type: "button", class: "secondary", onclick: () => toggleEdit() }, "Edit"),
      h(
        "button",
        {
          type: "button",
          class: "secondary",
          onclick: async () => {
            if (!confirm(`Remove mapping ${name}? Its run history and log stay.`)) return;
            try {
              await api("DELETE", base);
              navigate(`/console/connections/${enc(id)}/mappings`);
            } catch (err) {
              fill(result, errorBox(err));
            }
          },
        },
        "Remove",
      ),
    ),
    oneRecord,
    editor,
    result,
    runs,
    logs,
    h("details", {}, h("summary", {}, "Definition as held (secrets left out)"), pretty(m.document)),
  );
  await Promise.all([refreshRuns(), refreshLogs()]);
}
