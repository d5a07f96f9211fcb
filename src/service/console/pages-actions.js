/**
 * Actions: each form is generated from the action's input JSON Schema (GET /api/v1/actions). A write
 * is previewed first as a dry run (the Graph requests it would send), then run for real.
 */
import { api, currentSession, enc } from "./api.js";
import { heading, navigate } from "./app.js";
import { errorBox, field, fill, h, pretty, table } from "./ui.js";

/** The schema of a property without its `null` alternative, and whether null is allowed. */
function unwrap(schema) {
  const options = schema.anyOf ?? [schema];
  const nullable = options.some((o) => o.type === "null");
  const main = options.find((o) => o.type !== "null") ?? {};
  return { ...main, description: schema.description ?? main.description, nullable };
}

function control(name, schema, required) {
  const s = unwrap(schema);
  const id = `input-${name}`;
  const hint = [s.description, s.nullable ? "Tick Clear to remove the value." : null]
    .filter(Boolean)
    .join(" ");
  let el;
  if (s.enum) {
    el = h(
      "select",
      { id, name },
      required ? null : h("option", { value: "" }, "(not set)"),
      s.enum.map((v) => h("option", { value: v }, v)),
    );
  } else if (s.type === "boolean") {
    el = h(
      "select",
      { id, name },
      required ? null : h("option", { value: "" }, "(not set)"),
      h("option", { value: "true" }, "yes"),
      h("option", { value: "false" }, "no"),
    );
  } else if (s.type === "array") {
    el = h("textarea", { id, name, rows: "3" });
  } else {
    const type =
      s.type === "integer" || s.type === "number" ? "number" : /password/i.test(name) ? "password" : "text";
    el = h("input", {
      id,
      name,
      type,
      autocomplete: "off",
      ...(s.maxLength ? { maxlength: s.maxLength } : {}),
    });
  }
  if (required) el.required = true;
  const label = `${name}${required ? " (required)" : ""}`;
  const wrapper = field(label, el, s.type === "array" ? `${hint} One per line.`.trim() : hint || undefined);
  if (s.nullable) {
    wrapper.append(
      h(
        "label",
        { class: "check" },
        h("input", { type: "checkbox", name: `${name}:null` }),
        ` Clear ${name}`,
      ),
    );
  }
  return { wrapper, read: (form) => readValue(form, name, s) };
}

function readValue(form, name, s) {
  if (s.nullable && form.elements[`${name}:null`]?.checked) return null;
  const raw = form.elements[name].value;
  if (raw === "") return undefined;
  if (s.type === "boolean") return raw === "true";
  if (s.type === "integer" || s.type === "number") return Number(raw);
  if (s.type === "array")
    return raw
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter(Boolean);
  return raw;
}

function requestsTable(requests) {
  return table(
    "Graph requests the action would send",
    ["Method", "URL", "Body"],
    requests.map((r) => [
      r.method,
      h("code", {}, r.url ?? r.path ?? ""),
      r.body === undefined ? "" : pretty(r.body),
    ]),
    "No request.",
  );
}

export async function actionsPage(root, [id], query) {
  const { items } = await api("GET", "/actions");
  const name = query.get("name") ?? items[0]?.name;
  const action = items.find((a) => a.name === name) ?? items[0];
  const role = currentSession()?.role;
  const picker = h(
    "select",
    {
      id: "action",
      onchange: (e) => navigate(`/console/connections/${enc(id)}/actions?name=${enc(e.target.value)}`),
    },
    items.map((a) =>
      h(
        "option",
        { value: a.name, selected: a.name === action.name },
        `${a.name}${a.write ? " (write)" : ""}`,
      ),
    ),
  );
  const props = action.inputSchema.properties ?? {};
  const required = new Set(action.inputSchema.required ?? []);
  const controls = Object.entries(props)
    .sort(([a], [b]) => Number(required.has(b)) - Number(required.has(a)))
    .map(([n, s]) => [n, control(n, s, required.has(n))]);
  const result = h("div", { id: "result", "aria-live": "polite" });
  const form = h("form", { class: "card", "aria-labelledby": "action-title", novalidate: false });
  const input = () => {
    const value = {};
    for (const [n, c] of controls) {
      const v = c.read(form);
      if (v !== undefined) value[n] = v;
    }
    return value;
  };
  const run = async (dryRun) => {
    fill(result, h("p", {}, dryRun ? "Preparing the preview…" : "Running…"));
    try {
      const output = await api("POST", `/connections/${enc(id)}/actions/${enc(action.name)}`, {
        input: input(),
        dryRun,
      });
      fill(
        result,
        h("h2", {}, dryRun ? "Preview (dry run): nothing was changed" : "Done"),
        dryRun && Array.isArray(output.requests) ? requestsTable(output.requests) : null,
        pretty(output),
        dryRun && action.write && role === "admin"
          ? h("button", { type: "button", class: "danger", onclick: () => run(false) }, "Run for real")
          : null,
      );
    } catch (err) {
      fill(result, errorBox(err));
    }
    result.querySelector("h2")?.setAttribute("tabindex", "-1");
    result.querySelector("h2")?.focus();
  };
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!form.reportValidity()) return;
    run(action.write);
  });
  fill(
    form,
    h("h2", { id: "action-title" }, action.name),
    h("p", {}, action.summary),
    action.permissions.length
      ? h("p", { class: "hint" }, `Graph permissions: ${action.permissions.join(", ")}`)
      : null,
    controls.map(([, c]) => c.wrapper),
    h("button", { type: "submit" }, action.write ? "Preview (dry run)" : "Run"),
    action.write && role !== "admin"
      ? h("p", { class: "hint" }, "Running a write for real needs the admin role.")
      : null,
  );
  fill(root, heading("Actions"), field("Action", picker), form, result);
}
