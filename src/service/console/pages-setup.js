/**
 * The setup wizard (a new connection, its permission check, consent and delegated sign-in) and the
 * triggers page (webhook subscriptions, their deliveries and a test delivery).
 */
import { api, enc } from "./api.js";
import { heading } from "./app.js";
import { badge, errorBox, field, fill, h, table, when } from "./ui.js";

/** What a connection's permission check found, with the fix for each missing one. */
function checkView(id, check) {
  return h(
    "section",
    { "aria-labelledby": "check-title" },
    h("h2", { id: "check-title" }, check.ok ? "Connection works" : "The connection needs attention"),
    check.error ? errorBox(check.error) : null,
    table(
      "What the connector may do in this tenant",
      ["Capability", "Status", "Permission", "Fix"],
      (check.items ?? []).map((i) => [i.capability, badge(i.status), i.permission, i.fix ?? ""]),
      "No capability checked.",
    ),
    check.consentUrl
      ? h(
          "p",
          {},
          h(
            "a",
            { class: "button", href: check.consentUrl, rel: "noopener" },
            "Grant admin consent in Microsoft Entra",
          ),
        )
      : null,
    h("p", {}, h("a", { href: `/console/connections/${enc(id)}` }, "Go to the connection's dashboard")),
  );
}

/**
 * Starts the browser sign-in of a delegated connection: off to Microsoft, back on the connection's
 * dashboard. A refusal (not an admin, not delegated) shows in `out`.
 */
export function signInButton(id, out) {
  return h(
    "button",
    {
      type: "button",
      onclick: async () => {
        try {
          const { authorizeUrl } = await api("POST", `/connections/${enc(id)}/oauth/start`);
          location.assign(authorizeUrl);
        } catch (err) {
          fill(out, errorBox(err));
        }
      },
    },
    "Sign in with Microsoft",
  );
}

export function wizardPage(root) {
  const out = h("div", { "aria-live": "polite" });
  const input = (id, attrs = {}) =>
    h("input", { id, name: id, autocomplete: "off", spellcheck: "false", ...attrs });
  const credentialFields = h("div", { id: "credential-fields" });
  const kinds = [
    ["secret", "Client secret"],
    ["certificate", "Certificate"],
    ["delegated", "Delegated (sign in with Microsoft)"],
  ];
  const showCredential = (kind) =>
    fill(
      credentialFields,
      kind === "secret" ? field("Secret", input("secret", { type: "password", required: true })) : null,
      kind === "certificate"
        ? [
            field(
              "Certificate (PEM)",
              h("textarea", { id: "certificatePem", name: "certificatePem", rows: "4", required: true }),
            ),
            field(
              "Private key (PEM)",
              h("textarea", { id: "privateKeyPem", name: "privateKeyPem", rows: "4", required: true }),
            ),
          ]
        : null,
      kind === "delegated"
        ? h(
            "p",
            { class: "hint" },
            "After saving, sign in with Microsoft as the account the connector acts for.",
          )
        : null,
    );
  const form = h(
    "form",
    { class: "card", "aria-labelledby": "wizard-title" },
    h("h2", { id: "wizard-title" }, "1. The app registration"),
    field("Name", input("name", { required: true }), "How the console shows this connection."),
    field(
      "Tenant id",
      input("tenantId", { required: true }),
      "Directory (tenant) id, from the app registration's overview.",
    ),
    field("Client id", input("clientId", { required: true }), "Application (client) id."),
    h(
      "fieldset",
      {},
      h("legend", {}, "2. Credential"),
      kinds.map(([value, label], i) =>
        h(
          "label",
          { class: "check" },
          h("input", {
            type: "radio",
            name: "credentialType",
            value,
            checked: i === 0,
            onchange: () => showCredential(value),
          }),
          ` ${label}`,
        ),
      ),
      credentialFields,
    ),
    h(
      "fieldset",
      {},
      h("legend", {}, "3. Options"),
      h(
        "label",
        { class: "check" },
        h("input", { type: "checkbox", name: "provisioning" }),
        " Allow writes (provisioning)",
      ),
      field(
        "Schedule",
        input("schedule", { placeholder: "every 15m" }),
        "e.g. every 15m, or a cron expression; empty: sync on request only.",
      ),
      field(
        "Time zone",
        input("timeZone", { placeholder: "UTC" }),
        "The cron's time zone, e.g. Europe/Paris.",
      ),
    ),
    h("button", { type: "submit" }, "Save and check"),
  );
  showCredential("secret");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const f = new FormData(form);
    const type = f.get("credentialType");
    const credential =
      type === "secret"
        ? { type, secret: f.get("secret") }
        : type === "certificate"
          ? { type, certificatePem: f.get("certificatePem"), privateKeyPem: f.get("privateKeyPem") }
          : { type };
    const options = {
      provisioning: f.get("provisioning") === "on",
      ...(f.get("schedule") ? { schedule: f.get("schedule") } : {}),
      ...(f.get("timeZone") ? { timeZone: f.get("timeZone") } : {}),
    };
    fill(out, h("p", {}, "Saving and checking the permissions…"));
    try {
      const { connection, check } = await api("POST", "/connections", {
        name: f.get("name"),
        tenantId: f.get("tenantId"),
        clientId: f.get("clientId"),
        credential,
        options,
      });
      form.hidden = true;
      const again = h("button", { type: "button", class: "secondary" }, "Check again");
      const result = h("div", {}, checkView(connection.id, check));
      again.addEventListener("click", async () => {
        try {
          fill(
            result,
            checkView(connection.id, await api("POST", `/connections/${enc(connection.id)}/test`)),
          );
        } catch (err) {
          fill(result, errorBox(err));
        }
      });
      const microsoft = type === "delegated" ? signInButton(connection.id, result) : null;
      fill(
        out,
        h("p", { role: "status" }, `Connection ${connection.name ?? connection.id} saved.`),
        h("div", { class: "actions" }, microsoft, again),
        result,
      );
    } catch (err) {
      fill(out, errorBox(err));
    }
  });
  fill(root, heading("Add a connection"), form, out);
}

export async function triggersPage(root, [id]) {
  const base = `/connections/${enc(id)}/subscriptions`;
  const out = h("div", { "aria-live": "polite" });
  const list = h("div", {});
  const deliveries = h("div", { "aria-live": "polite" });
  const showDeliveries = async (sid) => {
    try {
      const { items } = await api("GET", `${base}/${enc(sid)}/deliveries`);
      fill(
        deliveries,
        h("h2", {}, "Deliveries"),
        table(
          `Deliveries of subscription ${sid}`,
          ["When", "Event", "Status", "HTTP", "Attempt", "Error"],
          items.map((d) => [
            when(d.at),
            d.eventType,
            badge(d.status),
            String(d.httpStatus ?? ""),
            String(d.attempt),
            d.error ?? "",
          ]),
          "No delivery yet.",
        ),
      );
    } catch (err) {
      fill(deliveries, errorBox(err));
    }
  };
  const refresh = async () => {
    const { items } = await api("GET", base);
    fill(
      list,
      table(
        "Webhook subscriptions",
        ["URL", "Types", "Behind", "Dead letters", "Created", ""],
        items.map((s) => [
          h("code", {}, s.url),
          s.types.join(", "),
          s.failing ? [String(s.lag), " (failing since ", when(s.failing.since), ")"] : String(s.lag),
          String(s.deadLetters),
          when(s.createdAt),
          h(
            "div",
            { class: "actions" },
            h(
              "button",
              {
                type: "button",
                class: "secondary",
                onclick: () => showDeliveries(s.id),
                "aria-label": `Deliveries of ${s.url}`,
              },
              "Deliveries",
            ),
            h(
              "button",
              {
                type: "button",
                "aria-label": `Send a test delivery to ${s.url}`,
                onclick: async () => {
                  try {
                    const attempt = await api("POST", `${base}/${enc(s.id)}/test`);
                    fill(
                      out,
                      h(
                        "p",
                        { class: "notice", role: "status" },
                        `Test delivery to ${s.url}: `,
                        badge(attempt.status),
                        attempt.httpStatus ? ` HTTP ${attempt.httpStatus}` : "",
                        attempt.error ? ` (${attempt.error})` : "",
                      ),
                    );
                    await showDeliveries(s.id);
                  } catch (err) {
                    fill(out, errorBox(err));
                  }
                },
              },
              "Send test",
            ),
          ),
        ]),
        "No subscription yet.",
      ),
    );
  };
  const form = h(
    "form",
    { class: "card", "aria-labelledby": "subscribe-title" },
    h("h2", { id: "subscribe-title" }, "New subscription"),
    field(
      "Webhook URL",
      h("input", {
        id: "url",
        name: "url",
        type: "url",
        required: true,
        placeholder: "https://example.org/hooks/entra",
      }),
    ),
    field(
      "Event types",
      h("input", { id: "types", name: "types", autocomplete: "off", placeholder: "user.created, group.*" }),
      "Separated by commas; a prefix such as user.* takes a family; empty: every type.",
    ),
    h("button", { type: "submit" }, "Subscribe"),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const f = new FormData(form);
    const types = String(f.get("types") ?? "")
      .split(",")
      .map((t) => t.trim())
      .filter(Boolean);
    try {
      const { subscription, secret } = await api("POST", base, {
        url: f.get("url"),
        ...(types.length ? { types } : {}),
      });
      form.reset();
      fill(
        out,
        h(
          "div",
          { class: "notice", role: "status" },
          h(
            "p",
            {},
            `Subscribed ${subscription.url}. Its signing secret is shown this once; keep it where the receiver verifies signatures:`,
          ),
          h("code", { class: "secret", tabindex: "0" }, secret),
        ),
      );
      await refresh();
    } catch (err) {
      fill(out, errorBox(err));
    }
  });
  fill(root, heading("Triggers"), out, list, form, deliveries);
  await refresh();
}

/**
 * An admin's edit of a managed connection: name, schedule, time zone, the provisioning gate and a new
 * secret. Only what is filled is sent; a changed credential re-runs the check, which shows in `out`.
 */
export function editConnectionForm(connection, out) {
  const input = (id, attrs) =>
    h("input", { id: `edit-${id}`, name: id, autocomplete: "off", spellcheck: "false", ...attrs });
  const form = h(
    "form",
    { "aria-label": "Edit the connection" },
    field("Name", input("name", { required: true, value: connection.name })),
    field(
      "Schedule",
      input("schedule", { value: connection.options.schedule ?? "", placeholder: "every 15m" }),
      "Empty: sync on request only.",
    ),
    field("Time zone", input("timeZone", { value: connection.options.timeZone })),
    h(
      "label",
      { class: "check" },
      input("provisioning", { type: "checkbox", checked: connection.options.provisioning }),
      " Allow writes (provisioning)",
    ),
    connection.credential.type === "secret"
      ? field("New client secret", input("secret", { type: "password" }), "Empty: keep the current one.")
      : null,
    h("button", { type: "submit" }, "Save changes"),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const f = new FormData(form);
    const secret = f.get("secret");
    fill(out, h("p", {}, "Saving…"));
    try {
      const { check } = await api("PATCH", `/connections/${enc(connection.id)}`, {
        name: f.get("name"),
        options: {
          provisioning: f.get("provisioning") === "on",
          schedule: f.get("schedule") || null,
          timeZone: f.get("timeZone") || "UTC",
        },
        ...(secret ? { credential: { type: "secret", secret } } : {}),
      });
      fill(
        out,
        h("p", { role: "status" }, "Connection saved."),
        check ? checkView(connection.id, check) : null,
      );
    } catch (err) {
      fill(out, errorBox(err));
    }
  });
  return h("details", {}, h("summary", {}, "Edit the connection"), form);
}
