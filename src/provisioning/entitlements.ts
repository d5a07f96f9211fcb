/**
 * Entitlement references, in the `<kind>:<object>:<slug>` form access platforms use (baton's
 * resource:id:entitlement). The object may be an id or a name, and a name may itself contain colons,
 * so the slug is matched from the end.
 */
import { createError } from "../errors.ts";

export type EntitlementRef =
  | { kind: "group"; object: string; relation: "member" | "owner" }
  | { kind: "role"; object: string; relation: "assigned" | "eligible" }
  /** `appRole` undefined = the default access role (`app:<app>:assigned`). */
  | { kind: "app"; object: string; appRole?: string }
  | { kind: "license"; object: string };

const FORMS: { re: RegExp; build: (object: string, extra: string) => EntitlementRef }[] = [
  {
    re: /^group:(.+):(member|owner)$/s,
    build: (o, r) => ({ kind: "group", object: o, relation: r as "member" }),
  },
  {
    re: /^role:(.+):(assigned|eligible)$/s,
    build: (o, r) => ({ kind: "role", object: o, relation: r as "assigned" }),
  },
  { re: /^app:(.+):role:(.+)$/s, build: (o, r) => ({ kind: "app", object: o, appRole: r }) },
  { re: /^app:(.+):(assigned)$/s, build: (o) => ({ kind: "app", object: o }) },
  { re: /^license:(.+):(assigned)$/s, build: (o) => ({ kind: "license", object: o }) },
];

export function parseEntitlement(entitlement: string): EntitlementRef {
  const text = entitlement.trim();
  for (const form of FORMS) {
    const m = form.re.exec(text);
    if (m && m[1]!.trim() !== "" && m[2]!.trim() !== "") return form.build(m[1]!.trim(), m[2]!.trim());
  }
  const kind = text.split(":")[0] ?? "";
  const problem = ["group", "role", "app", "license"].includes(kind)
    ? `a ${kind} entitlement needs the form shown below`
    : `unknown kind "${kind}"`;
  throw createError("ENTITLEMENT_INVALID", { entitlement, problem });
}

/** The store's entitlement name for a parsed reference (`group:member`, `app:role:<id>`, …). */
export function entitlementName(ref: EntitlementRef, appRoleId?: string): string {
  switch (ref.kind) {
    case "group":
    case "role":
      return `${ref.kind}:${ref.relation}`;
    case "app":
      return appRoleId && appRoleId !== DEFAULT_APP_ROLE ? `app:role:${appRoleId}` : "app:assigned";
    case "license":
      return "license:assigned";
  }
}

/** The app role id Graph uses for "assigned to the app, no specific role". */
export const DEFAULT_APP_ROLE = "00000000-0000-0000-0000-000000000000";
