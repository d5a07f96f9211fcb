/** Connections, a connection's dashboard, and a run with its live progress. */
import { api, currentSession, enc } from "./api.js";
import { heading, navigate } from "./app.js";
import { runsChart } from "./chart.js";
import { editConnectionForm, signInButton } from "./pages-setup.js";
import { announce, badge, duration, errorBox, fill, h, runDuration, table, when } from "./ui.js";

const canOperate = () => ["operator", "admin"].includes(currentSession()?.role);

export async function connectionsPage(root) {
  const { items } = await api("GET", "/connections");
  fill(
    root,
    heading("Connections"),
    table(
      "Connections and their sync status",
      ["Connection", "Status", "Last sync", "Next run", "Schedule"],
      items.map((c) => [
        h("a", { href: `/console/connections/${enc(c.id)}` }, c.name),
        badge(c.status),
        c.lastRun
          ? [badge(c.lastRun.status), " ", when(c.lastRun.finishedAt ?? c.lastRun.startedAt)]
          : "never",
        when(c.nextRunAt),
        c.schedule ?? "on request",
      ]),
      "No connection yet.",
    ),
    currentSession()?.role === "admin"
      ? h("p", {}, h("a", { class: "button", href: "/console/connections/new" }, "Add a connection"))
      : null,
  );
}

const sum = (stats, key) => Object.values(stats ?? {}).reduce((n, s) => n + (s?.[key] ?? 0), 0);

async function syncNow(id, full, status) {
  try {
    const { runId } = await api("POST", `/connections/${enc(id)}/sync`, { full });
    navigate(`/console/connections/${enc(id)}/runs/${enc(runId)}`);
  } catch (err) {
    fill(status, errorBox(err));
  }
}

const CREDENTIAL_TEXT = {
  secret: "Client secret",
  certificate: "Certificate",
  token: "Pre-issued token",
  delegated: "Delegated",
};

/** The credential is write-only: its type, whether it is set (signed in, when delegated) and since when. */
function credentialText({ type, set, changedAt }) {
  const state = type === "delegated" ? (set ? "signed in" : "not signed in yet") : set ? "set" : "not set";
  return [`${CREDENTIAL_TEXT[type] ?? type}: ${state}`, changedAt ? [", since ", when(changedAt)] : ""];
}

/** Jobs whose retries ran out: an operator queues one again or drops it, and the list reloads. */
function failedJobsPanel(id, items) {
  const panel = h("section", { "aria-labelledby": "failed-jobs" });
  const status = h("div", { "aria-live": "polite" });
  const base = `/connections/${enc(id)}/jobs/dead`;
  async function act(method, path, done) {
    try {
      await api(method, path);
      announce(done);
      render((await api("GET", base)).items);
    } catch (err) {
      fill(status, errorBox(err));
    }
  }
  function render(jobs) {
    fill(
      panel,
      h("h2", { id: "failed-jobs" }, "Failed jobs"),
      table(
        "Jobs that failed after their retries, newest first",
        ["Job", "Failed", "Attempts", "Error", ...(canOperate() ? [""] : [])],
        jobs.map((j) => [
          j.mapping ? `${j.kind} ${j.mapping}` : j.kind,
          when(j.failedAt ?? j.queuedAt),
          String(j.attempts),
          j.error ? `${j.error.code}: ${j.error.message}` : "–",
          ...(canOperate()
            ? [
                h(
                  "div",
                  { class: "actions" },
                  h(
                    "button",
                    {
                      type: "button",
                      onclick: () => act("POST", `${base}/${enc(j.id)}/retry`, "Job queued again."),
                    },
                    "Retry",
                  ),
                  h(
                    "button",
                    {
                      type: "button",
                      class: "secondary",
                      onclick: () => act("DELETE", `${base}/${enc(j.id)}`, "Failed job discarded."),
                    },
                    "Discard",
                  ),
                ),
              ]
            : []),
        ]),
        "No failed job.",
      ),
      status,
    );
  }
  render(items);
  return panel;
}

export async function dashboardPage(root, [id]) {
  const [connection, runs, dead] = await Promise.all([
    api("GET", `/connections/${enc(id)}`),
    api("GET", `/connections/${enc(id)}/runs?limit=30`),
    api("GET", `/connections/${enc(id)}/jobs/dead`),
  ]);
  const status = h("div", { "aria-live": "polite" });
  const finished = runs.items.filter((r) => r.run?.stats);
  const lastFull = finished.find((r) => r.full);
  // The Graph client's own line (retries, token requests) is not a kind of object.
  const counts = Object.entries(lastFull?.run?.stats ?? {})
    .filter(([stream]) => stream !== "graph-client")
    .map(([stream, s]) => [stream, String(s.objects)]);
  const throttled = sum(
    Object.fromEntries(finished.map((r) => [r.runId, { w: sum(r.run.stats, "throttleWaitMs") }])),
    "w",
  );
  fill(
    root,
    heading(connection.name),
    h(
      "dl",
      { class: "facts" },
      h("dt", {}, "Status"),
      h("dd", {}, badge(connection.status)),
      h("dt", {}, "Tenant"),
      h("dd", {}, connection.tenantId),
      h("dt", {}, "Credential"),
      h("dd", {}, credentialText(connection.credential)),
      h("dt", {}, "Last sync"),
      h(
        "dd",
        {},
        connection.lastRun ? when(connection.lastRun.finishedAt ?? connection.lastRun.startedAt) : "never",
      ),
      h("dt", {}, "Next run"),
      h("dd", {}, connection.nextRunAt ? when(connection.nextRunAt) : (connection.schedule ?? "on request")),
      h("dt", {}, "Throttling waits (last runs)"),
      h("dd", {}, duration(throttled)),
    ),
    canOperate()
      ? h(
          "div",
          { class: "actions" },
          // A delegated connection lives on one person's sign-in: an admin can renew it from here.
          connection.credential.type === "delegated" && currentSession()?.role === "admin"
            ? signInButton(id, status)
            : null,
          connection.activeRunId
            ? h(
                "a",
                {
                  class: "button",
                  href: `/console/connections/${enc(id)}/runs/${enc(connection.activeRunId)}`,
                },
                "Show the running sync",
              )
            : [
                h("button", { type: "button", onclick: () => syncNow(id, false, status) }, "Sync now"),
                h(
                  "button",
                  { type: "button", class: "secondary", onclick: () => syncNow(id, true, status) },
                  "Full sync",
                ),
              ],
        )
      : null,
    status,
    connection.source === "managed" && currentSession()?.role === "admin"
      ? editConnectionForm(connection, status)
      : null,
    h("h2", {}, "Runs over time"),
    runsChart(
      [...finished].reverse().map((r) => ({
        label: `#${r.run.number ?? ""}`,
        durationMs: runDuration(r),
        changes: sum(r.run.stats, "changes"),
      })),
    ),
    h("h2", {}, "Objects by kind"),
    table("Objects read by the last full sync, by kind", ["Kind", "Objects"], counts, "No full sync yet."),
    h("h2", {}, "Last runs"),
    table(
      "Last runs, newest first",
      ["Run", "Status", "Kind", "Started", "Duration", "Objects", "Changes", "Throttling waits"],
      runs.items.map((r) => [
        h(
          "a",
          { href: `/console/connections/${enc(id)}/runs/${enc(r.runId)}` },
          r.run?.number ? `#${r.run.number}` : r.runId.slice(0, 8),
        ),
        badge(r.status),
        r.full ? "full" : "incremental",
        when(r.startedAt ?? r.queuedAt),
        duration(runDuration(r)),
        String(sum(r.run?.stats, "objects")),
        String(sum(r.run?.stats, "changes")),
        duration(sum(r.run?.stats, "throttleWaitMs")),
      ]),
      "No run yet: press Sync now.",
    ),
    failedJobsPanel(id, dead.items),
  );
}

function progressTable(view) {
  const streams = view.progress?.streams ?? view.run?.stats ?? {};
  return table(
    "Progress by stream",
    ["Stream", "Phase", "Objects", "Changes"],
    Object.entries(streams).map(([name, s]) => [
      name,
      s.phase ?? "done",
      String(s.objects ?? 0),
      String(s.changes ?? 0),
    ]),
    "Waiting for the first page…",
  );
}

export async function runPage(root, [id, runId]) {
  const base = `/connections/${enc(id)}/runs/${enc(runId)}`;
  const view = await api("GET", base);
  const statusEl = h("p", { class: "run-status" });
  const progress = h("div", { id: "progress", "aria-busy": "false" });
  const errors = h("div", { "aria-live": "polite" });
  const cancel = h("button", { type: "button", class: "danger" }, "Cancel");
  const again = h("button", { type: "button" }, "Sync now");
  const live = (v) => v.status === "queued" || v.status === "running";
  const title = heading("Sync run");
  const show = (v) => {
    if (v.run?.number) title.textContent = `Sync run #${v.run.number}`;
    fill(
      statusEl,
      "Status: ",
      badge(v.status),
      v.finishedAt ? [" · ended ", when(v.finishedAt), " · ", duration(runDuration(v))] : null,
    );
    fill(progress, progressTable(v));
    progress.setAttribute("aria-busy", String(live(v)));
    cancel.hidden = !live(v) || !canOperate();
    again.hidden = live(v) || !canOperate();
    if (v.error) fill(errors, errorBox(v.error));
  };
  cancel.addEventListener("click", async () => {
    cancel.disabled = true;
    try {
      await api("POST", `${base}/cancel`);
      announce("Cancelling: the sync stops after the page it is writing.");
    } catch (err) {
      fill(errors, errorBox(err));
    }
  });
  again.addEventListener("click", () => syncNow(id, false, errors));
  fill(
    root,
    title,
    statusEl,
    h("div", { class: "actions" }, again, cancel),
    errors,
    h("h2", {}, "Progress"),
    progress,
    h("p", {}, h("a", { href: `/console/connections/${enc(id)}` }, "Back to the dashboard")),
  );
  show(view);
  if (!live(view)) return undefined;
  // Live figures from the run's event stream; the cookie goes along (same origin).
  const source = new EventSource(`/api/v1${base}/events`);
  let announced = 0;
  source.addEventListener("progress", (e) => {
    const v = JSON.parse(e.data);
    show(v);
    const objects = sum(v.progress?.streams, "objects");
    // Announced at most every few thousand objects, so a screen reader is not flooded.
    if (objects - announced >= 1000 || announced === 0) {
      announced = Math.max(1, objects);
      announce(`Syncing: ${objects} objects so far.`);
    }
  });
  source.addEventListener("end", (e) => {
    source.close();
    const v = JSON.parse(e.data);
    show(v);
    announce(`Sync ${v.status}.`);
  });
  source.onerror = () => {
    // The stream ends when the run does; a dropped connection falls back to reading the run once.
    source.close();
    api("GET", base).then(show, () => {});
  };
  return () => source.close();
}
