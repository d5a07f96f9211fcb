/**
 * DOM helpers for the console: elements are built with `h`, never from HTML strings, so text from the
 * tenant can never become markup.
 */

/** `h("a", { href: "/x", class: "btn" }, "text", child)`; `on*` attributes become listeners. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (key === "dataset") Object.assign(el.dataset, value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces an element's content. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** Says something to screen readers through the page's polite live region. */
export function announce(text) {
  const region = document.getElementById("announce");
  if (region) region.textContent = text;
}

export function when(iso) {
  if (!iso) return "–";
  const d = new Date(iso);
  return h("time", { datetime: iso, title: d.toISOString() }, d.toLocaleString());
}

export function duration(ms) {
  if (ms === undefined || ms === null || Number.isNaN(ms)) return "–";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

export function runDuration(run) {
  return run.startedAt && run.finishedAt ? Date.parse(run.finishedAt) - Date.parse(run.startedAt) : undefined;
}

const STATUS_TEXT = {
  connected: "Connected",
  syncing: "Syncing",
  error: "Error",
  "never-synced": "Never synced",
  queued: "Queued",
  running: "Running",
  succeeded: "Succeeded",
  failed: "Failed",
  cancelled: "Cancelled",
  interrupted: "Interrupted",
  granted: "Granted",
  missing: "Missing",
};

/** A status as a word (colour only repeats it). */
export function badge(status) {
  return h("span", { class: `badge badge-${status}` }, STATUS_TEXT[status] ?? status);
}

/** A table with a caption (its accessible name), column headers and rows of cells. */
export function table(caption, headers, rows, empty = "Nothing yet.") {
  if (rows.length === 0) return h("p", { class: "empty" }, empty);
  return h(
    "table",
    {},
    h("caption", {}, caption),
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        headers.map((t) => h("th", { scope: "col" }, t)),
      ),
    ),
    h(
      "tbody",
      {},
      rows.map((cells) =>
        h(
          "tr",
          {},
          cells.map((c) => h("td", {}, c)),
        ),
      ),
    ),
  );
}

/** An API error as the page shows it: what happened and how to fix it. */
export function errorBox(err) {
  return h(
    "div",
    { class: "error", role: "alert" },
    h("p", {}, h("strong", {}, err.code ? `${err.code}: ` : ""), err.message ?? String(err)),
    err.fix ? h("p", { class: "fix" }, err.fix) : null,
  );
}

/** A labelled form control; `control` is an input, select or textarea element with an id. */
export function field(label, control, hint) {
  const hintId = hint ? `${control.id}-hint` : undefined;
  if (hintId) control.setAttribute("aria-describedby", hintId);
  return h(
    "div",
    { class: "field" },
    h("label", { for: control.id }, label),
    control,
    hint ? h("p", { class: "hint", id: hintId }, hint) : null,
  );
}

export function pretty(value) {
  return h("pre", { class: "json", tabindex: "0" }, JSON.stringify(value, null, 2));
}
