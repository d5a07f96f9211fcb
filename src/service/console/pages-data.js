/** Browsing synced resources with search and cursor paging, and a principal's access. */
import { api, enc } from "./api.js";
import { heading, navigate } from "./app.js";
import { fill, h, table } from "./ui.js";

const KINDS = [
  ["user", "Users"],
  ["group", "Groups"],
  ["app", "Apps"],
  ["role", "Roles"],
  ["license", "Licences"],
];

function secondary(r) {
  const d = r.data;
  return d.userPrincipalName ?? d.mail ?? d.appId ?? d.skuPartNumber ?? d.description ?? "";
}

export async function browsePage(root, [id], query) {
  const kind = KINDS.some(([k]) => k === query.get("kind")) ? query.get("kind") : "user";
  const search = query.get("search") ?? "";
  const cursor = query.get("cursor");
  // Earlier pages' cursors, so "Previous" needs no server state.
  const back = query.getAll("back");
  const params = new URLSearchParams({
    kind,
    limit: "25",
    ...(search ? { search } : {}),
    ...(cursor ? { cursor } : {}),
  });
  const page = await api("GET", `/connections/${enc(id)}/resources?${params}`);
  const here = `/console/connections/${enc(id)}/browse`;
  const nextHref = () => {
    const p = new URLSearchParams({ kind, ...(search ? { search } : {}), cursor: page.next });
    for (const b of [...back, cursor ?? ""]) p.append("back", b);
    return `${here}?${p}`;
  };
  const prevHref = () => {
    const p = new URLSearchParams({ kind, ...(search ? { search } : {}) });
    const earlier = back.slice(0, -1);
    const prev = back.at(-1);
    if (prev) p.set("cursor", prev);
    for (const b of earlier) p.append("back", b);
    return `${here}?${p}`;
  };
  const kindSelect = h(
    "select",
    { id: "kind", name: "kind" },
    KINDS.map(([k, label]) => h("option", { value: k, selected: k === kind }, label)),
  );
  const searchInput = h("input", {
    id: "search",
    name: "search",
    type: "search",
    value: search,
    autocomplete: "off",
  });
  const principal = kind === "user" || kind === "group" || kind === "app";
  fill(
    root,
    heading("Browse"),
    h(
      "form",
      {
        role: "search",
        class: "inline-form",
        onsubmit: (event) => {
          event.preventDefault();
          const wanted = {
            kind: kindSelect.value,
            ...(searchInput.value ? { search: searchInput.value } : {}),
          };
          navigate(`${here}?${new URLSearchParams(wanted)}`);
        },
      },
      h("div", { class: "field" }, h("label", { for: "kind" }, "Kind"), kindSelect),
      h("div", { class: "field" }, h("label", { for: "search" }, "Search by name"), searchInput),
      h("button", { type: "submit" }, "Search"),
    ),
    table(
      `${KINDS.find(([k]) => k === kind)[1]}${search ? ` matching “${search}”` : ""}`,
      ["Name", "Detail", "Id", principal ? "Access" : null].filter(Boolean),
      page.items.map((r) =>
        [
          r.displayName ?? "(no name)",
          secondary(r),
          h("code", {}, r.id),
          principal
            ? h(
                "a",
                {
                  href: `/console/connections/${enc(id)}/access/${enc(r.id)}`,
                  "aria-label": `Access of ${r.displayName ?? r.id}`,
                },
                "Access",
              )
            : null,
        ].filter((c) => c !== null),
      ),
      search ? "Nothing matches." : "Nothing synced yet.",
    ),
    h(
      "nav",
      { class: "pager", "aria-label": "Pages" },
      cursor ? h("a", { href: prevHref(), rel: "prev" }, "Previous page") : null,
      page.next ? h("a", { href: nextHref(), rel: "next" }, "Next page") : null,
    ),
  );
}

function through(grant, names) {
  if (grant.path?.how !== "group" || !grant.path.via?.length) return "direct";
  return `via ${grant.path.via.map((g) => names.get(g) ?? g).join(" → ")}`;
}

export async function accessPage(root, [id, ref]) {
  const { principal, grants } = await api("GET", `/connections/${enc(id)}/access/${enc(ref)}`);
  // Groups on a path are named by the grants that give their membership.
  const names = new Map(
    grants.filter((g) => g.objectKind === "group").map((g) => [g.objectId, g.objectName ?? g.objectId]),
  );
  const byKind = Map.groupBy ? Map.groupBy(grants, (g) => g.objectKind) : new Map([["all", grants]]);
  const d = principal.data;
  fill(
    root,
    heading(`Access of ${principal.displayName ?? principal.id}`),
    h(
      "dl",
      { class: "facts" },
      h("dt", {}, "Kind"),
      h("dd", {}, principal.kind),
      d.userPrincipalName ? [h("dt", {}, "Principal name"), h("dd", {}, d.userPrincipalName)] : null,
      d.jobTitle ? [h("dt", {}, "Job title"), h("dd", {}, d.jobTitle)] : null,
      d.department ? [h("dt", {}, "Department"), h("dd", {}, d.department)] : null,
      d.accountEnabled !== undefined
        ? [h("dt", {}, "Account enabled"), h("dd", {}, d.accountEnabled ? "yes" : "no")]
        : null,
      h("dt", {}, "Id"),
      h("dd", {}, h("code", {}, principal.id)),
    ),
    grants.length === 0 ? h("p", { class: "empty" }, "No access found.") : null,
    [...byKind].map(([kind, list]) => [
      h("h2", {}, `${kind[0].toUpperCase()}${kind.slice(1)}s (${list.length})`),
      table(
        `${kind} access of ${principal.displayName ?? principal.id}`,
        ["Object", "Entitlement", "How"],
        list.map((g) => [
          g.objectName ?? g.objectId,
          g.appRoleName ? `${g.entitlement} (${g.appRoleName})` : g.entitlement,
          through(g, names),
        ]),
      ),
    ]),
  );
}
