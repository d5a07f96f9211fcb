/**
 * The console: a client of the service's JSON API, routed on the path under /console/. Each page is a
 * function that fills <main> and may return a cleanup (closing an event stream when the page is left).
 */
import { api, currentSession, setSession } from "./api.js";
import { actionsPage } from "./pages-actions.js";
import { accessPage, browsePage } from "./pages-data.js";
import { mappingPage, mappingsPage } from "./pages-mappings.js";
import { triggersPage, wizardPage } from "./pages-setup.js";
import { connectionsPage, dashboardPage, runPage } from "./pages-sync.js";
import { errorBox, fill, h } from "./ui.js";

const main = document.getElementById("main");
let cleanup;
let rendered = false;

const ROUTES = [
  [/^sign-in$/, signInPage],
  [/^$/, connectionsPage],
  [/^connections\/new$/, wizardPage],
  [/^connections\/([^/]+)$/, dashboardPage],
  [/^connections\/([^/]+)\/browse$/, browsePage],
  [/^connections\/([^/]+)\/access\/(.+)$/, accessPage],
  [/^connections\/([^/]+)\/runs\/([^/]+)$/, runPage],
  [/^connections\/([^/]+)\/actions$/, actionsPage],
  [/^connections\/([^/]+)\/triggers$/, triggersPage],
  [/^connections\/([^/]+)\/mappings$/, mappingsPage],
  [/^connections\/([^/]+)\/mappings\/([^/]+)$/, mappingPage],
];

/** Goes to a console path (`/console/...`) without reloading. */
export function navigate(path, { replace = false } = {}) {
  if (replace) history.replaceState(null, "", path);
  else history.pushState(null, "", path);
  render();
}

/** The page's heading, focused so a screen reader starts there, and the document's title. */
export function heading(text) {
  document.title = `${text} · entra-connector`;
  return h("h1", { tabindex: "-1" }, text);
}

async function render() {
  if (typeof cleanup === "function") cleanup();
  cleanup = undefined;
  const url = new URL(location.href);
  const rest = url.pathname.replace(/^\/console\/?/, "").replace(/\/$/, "");
  if (rest !== "sign-in" && currentSession() === undefined) {
    try {
      setSession(await api("GET", "/session"));
    } catch {
      const next = rest ? `?next=${encodeURIComponent(url.pathname + url.search)}` : "";
      navigate(`/console/sign-in${next}`, { replace: true });
      return;
    }
  }
  renderChrome(rest);
  for (const [pattern, page] of ROUTES) {
    const match = pattern.exec(rest);
    if (!match) continue;
    fill(main, h("p", {}, "Loading…"));
    try {
      cleanup = await page(main, match.slice(1).map(decodeURIComponent), url.searchParams);
    } catch (err) {
      fill(main, heading("Something went wrong"), errorBox(err));
    }
    // After a move inside the console, a screen reader starts at the new page's heading; a fresh load
    // keeps the browser's own start (the skip link first).
    if (rendered) main.querySelector("h1")?.focus();
    rendered = true;
    return;
  }
  fill(
    main,
    heading("Not found"),
    h("p", {}, "There is no such page. ", h("a", { href: "/console/" }, "Connections")),
  );
}

function renderChrome(rest) {
  const nav = document.getElementById("nav");
  const who = document.getElementById("who");
  const session = currentSession();
  const connection = /^connections\/([^/]+)/.exec(rest)?.[1];
  const link = (href, text) =>
    h("a", { href, ...(location.pathname === href ? { "aria-current": "page" } : {}) }, text);
  const items = [link("/console/", "Connections")];
  if (connection && connection !== "new") {
    const base = `/console/connections/${connection}`;
    items.push(
      link(base, "Dashboard"),
      link(`${base}/browse`, "Browse"),
      link(`${base}/actions`, "Actions"),
      link(`${base}/triggers`, "Triggers"),
      link(`${base}/mappings`, "Mappings"),
    );
  }
  fill(
    nav,
    session
      ? h(
          "ul",
          {},
          items.map((i) => h("li", {}, i)),
        )
      : null,
  );
  fill(
    who,
    session
      ? [
          h("span", {}, `${session.name} (${session.role})`),
          h("button", { type: "button", class: "link", onclick: signOut }, "Sign out"),
        ]
      : null,
  );
}

async function signOut() {
  try {
    await api("DELETE", "/session");
  } finally {
    setSession(undefined);
    navigate("/console/sign-in?signed-out=1");
  }
}

function signInPage(root, _params, query) {
  const next = query.get("next");
  const status = h("div", { "aria-live": "assertive" });
  const done = (session) => {
    setSession(session);
    navigate(next?.startsWith("/console/") ? next : "/console/");
  };
  const submit = (build) => async (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    fill(status);
    try {
      done(await api("POST", "/session", build(new FormData(form))));
    } catch (err) {
      fill(status, errorBox(err));
    } finally {
      button.disabled = false;
    }
  };
  const input = (id, name, type, autocomplete) =>
    h("input", { id, name, type, required: true, autocomplete, spellcheck: "false" });
  fill(
    root,
    heading("Sign in"),
    query.get("link") === "expired"
      ? h(
          "p",
          { class: "notice", role: "status" },
          "That sign-in link was used already or has expired. Sign in below, or ask for a new link.",
        )
      : null,
    query.get("signed-out") ? h("p", { class: "notice", role: "status" }, "You have signed out.") : null,
    status,
    h(
      "div",
      { class: "columns" },
      h(
        "form",
        {
          class: "card",
          "aria-labelledby": "user-form-title",
          onsubmit: submit((f) => ({ username: f.get("username"), password: f.get("password") })),
        },
        h("h2", { id: "user-form-title" }, "With your user name"),
        h(
          "div",
          { class: "field" },
          h("label", { for: "username" }, "User name"),
          input("username", "username", "text", "username"),
        ),
        h(
          "div",
          { class: "field" },
          h("label", { for: "password" }, "Password"),
          input("password", "password", "password", "current-password"),
        ),
        h("button", { type: "submit" }, "Sign in"),
      ),
      h(
        "form",
        {
          class: "card",
          "aria-labelledby": "token-form-title",
          onsubmit: submit((f) => ({ token: f.get("token") })),
        },
        h("h2", { id: "token-form-title" }, "With an API token"),
        h(
          "div",
          { class: "field" },
          h("label", { for: "token" }, "API token"),
          input("token", "token", "password", "off"),
        ),
        h("button", { type: "submit" }, "Sign in with token"),
      ),
    ),
  );
}

// Links inside the console move without reloading; others (downloads, Microsoft) behave as links do.
document.addEventListener("click", (event) => {
  const a = event.target instanceof Element ? event.target.closest("a[href]") : null;
  if (!a || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey)
    return;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin || !url.pathname.startsWith("/console") || a.hasAttribute("download"))
    return;
  event.preventDefault();
  navigate(url.pathname + url.search);
});
window.addEventListener("popstate", render);
window.addEventListener("console:signed-out", () => {
  if (!location.pathname.startsWith("/console/sign-in")) navigate("/console/sign-in", { replace: true });
});
render();
