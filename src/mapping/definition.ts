/**
 * The shape of a mapping: which Entra users go where, how their attributes are built and what happens
 * when they leave. Every object is strict so a misspelt key is an error rather than a silent default.
 */
import { z } from "zod";
import { isConnectorError } from "../errors.ts";
import { checkWebhookUrl } from "../triggers/sinks/webhook-sink.ts";

export const LEAVE_ACTIONS = ["disable", "delete", "ignore"] as const;
export type LeaveAction = (typeof LEAVE_ACTIONS)[number];

export const SCOPE_OPERATORS = [
  "EQUALS",
  "NOT EQUALS",
  "IS TRUE",
  "IS FALSE",
  "IS NULL",
  "IS NOT NULL",
  "Includes",
  "REGEX MATCH",
  "ENDS_WITH",
  "GREATER_THAN",
  "GREATER_THAN_OR_EQUALS",
] as const;
export type ScopeOperator = (typeof SCOPE_OPERATORS)[number];

const VALUELESS: ReadonlySet<ScopeOperator> = new Set(["IS TRUE", "IS FALSE", "IS NULL", "IS NOT NULL"]);
const INTEGER_OPERATORS: ReadonlySet<ScopeOperator> = new Set(["GREATER_THAN", "GREATER_THAN_OR_EQUALS"]);

const text = z.string().trim().min(1, "must not be empty");
const constant = z.union([z.string(), z.number(), z.boolean()]);

export const scopeClauseSchema = z
  .strictObject({ property: text, operator: z.enum(SCOPE_OPERATORS), value: constant.optional() })
  .superRefine((clause, ctx) => {
    if (VALUELESS.has(clause.operator)) {
      if (clause.value !== undefined)
        ctx.addIssue({ code: "custom", path: ["value"], message: `${clause.operator} takes no value` });
      return;
    }
    if (clause.value === undefined) {
      ctx.addIssue({ code: "custom", path: ["value"], message: `${clause.operator} needs a value` });
      return;
    }
    if (INTEGER_OPERATORS.has(clause.operator) && !Number.isInteger(Number(clause.value))) {
      ctx.addIssue({ code: "custom", path: ["value"], message: `${clause.operator} compares integers` });
    }
    if (clause.operator === "REGEX MATCH") {
      try {
        new RegExp(String(clause.value));
      } catch {
        ctx.addIssue({ code: "custom", path: ["value"], message: "is not a valid regular expression" });
      }
    }
  });
export type ScopeClause = z.infer<typeof scopeClauseSchema>;

export const usersSourceSchema = z
  .strictObject({
    memberOf: z.array(text).min(1, "lists at least one group").optional(),
    assignedTo: text.optional(),
    /** Filters are ORed; the clauses inside one filter are ANDed. */
    filter: z.array(z.array(scopeClauseSchema).min(1, "needs at least one clause")).min(1).optional(),
    includeDisabled: z.boolean().default(false),
  })
  .superRefine((users, ctx) => {
    if (users.memberOf && users.assignedTo)
      ctx.addIssue({ code: "custom", path: ["assignedTo"], message: "use either memberOf or assignedTo" });
    if (!users.memberOf && !users.assignedTo && !users.filter)
      ctx.addIssue({
        code: "custom",
        message: "needs memberOf, assignedTo or filter to say who is provisioned",
      });
  });
export type UsersSource = z.infer<typeof usersSourceSchema>;

export const attributeSchema = z.union([
  text,
  z.strictObject({
    value: text,
    apply: z.enum(["always", "onCreate"]).default("always"),
    /** Used when the expression yields null or nothing. */
    default: constant.optional(),
  }),
]);
export type AttributeEntry = z.infer<typeof attributeSchema>;

const leaveAction = z.enum(LEAVE_ACTIONS);
const leaveByReason = z.strictObject({
  outOfScope: leaveAction.optional(),
  disabled: leaveAction.optional(),
  softDeleted: leaveAction.optional(),
  hardDeleted: leaveAction.optional(),
});

const httpUrl = z.url({ protocol: /^https?$/, error: "must be an http(s) URL" });

/** Per-target request limits (the SCIM and HTTP targets). */
const limits = {
  concurrency: z.number().int().min(1).optional(),
  ratePerSecond: z.number().int().min(1).optional(),
  timeoutMs: z.number().int().min(1).optional(),
};

const scimTarget = z
  .strictObject({
    type: z.literal("scim"),
    url: httpUrl,
    token: text.optional(),
    oauth: z
      .strictObject({ tokenUrl: httpUrl, clientId: text, clientSecret: text, scope: text.optional() })
      .optional(),
    /** Speak the SCIM dialect of Entra's older provisioning service, for targets built against it. */
    compatibility: z.literal("entra-legacy").optional(),
    ...limits,
  })
  .superRefine((target, ctx) => {
    if (Boolean(target.token) === Boolean(target.oauth))
      ctx.addIssue({ code: "custom", path: ["token"], message: "give exactly one of token or oauth" });
  });

const fileTarget = z.strictObject({ type: z.literal("file"), path: text, format: z.enum(["csv", "jsonl"]) });

/** Plain names only: they are quoted when used, but a dot or quote in one is almost surely a mistake. */
const sqlName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/, "must be a plain table name");

const sqlTarget = z
  .strictObject({
    type: z.literal("sql"),
    url: text.optional(),
    path: text.optional(),
    table: sqlName,
  })
  .superRefine((target, ctx) => {
    if (Boolean(target.url) === Boolean(target.path))
      ctx.addIssue({ code: "custom", path: ["url"], message: "give exactly one of url or path" });
    if (target.url && !/^postgres(ql)?:\/\//.test(target.url))
      ctx.addIssue({
        code: "custom",
        path: ["url"],
        message: "must be a postgres:// URL; for SQLite give path",
      });
  });

/**
 * One request of the HTTP target. `${name}` in url, headers and body is a mapped attribute (`${id}` the
 * target's id for the record), not an environment variable: secrets go in `auth`.
 */
const httpRequest = z.strictObject({
  method: z.enum(["GET", "POST", "PUT", "PATCH", "DELETE"]),
  url: text,
  headers: z.record(z.string(), z.string()).optional(),
  body: z.union([z.string(), z.record(z.string(), z.unknown())]).optional(),
  /** Where the record's id is in the answer (dotted; `data.id`); default the target's idPath. */
  idPath: text.optional(),
  /** For lookup and list: where the found record or list is in the answer (dotted); default the whole answer. */
  resultPath: text.optional(),
  /** For list: records asked for per page (`${pageSize}`); a shorter page is the last. Default 100. */
  pageSize: z.number().int().min(1).max(10_000).optional(),
  /** For list: where a listed record holds the first match attribute (dotted); default that attribute's path. */
  keyPath: text.optional(),
});

const httpAuth = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("bearer"), token: text }),
  z.strictObject({ type: z.literal("basic"), username: text, password: text }),
  z.strictObject({ type: z.literal("header"), name: text, value: text }),
]);

const httpTarget = z.strictObject({
  type: z.literal("http"),
  auth: httpAuth.optional(),
  headers: z.record(z.string(), z.string()).optional(),
  /** Where the record's id is in a create answer (dotted), default `id`. */
  idPath: text.default("id"),
  requests: z.strictObject({
    lookup: httpRequest.optional(),
    list: httpRequest.optional(),
    create: httpRequest,
    update: httpRequest,
    disable: httpRequest.optional(),
    delete: httpRequest.optional(),
  }),
  ...limits,
});

const email = z.email({ error: "must be an e-mail address" });

/** Where a run's outcome is sent when it ends. */
export const notifySchema = z
  .strictObject({
    /** `failures`: only runs with failures are reported. */
    on: z.enum(["always", "failures"]).default("always"),
    webhook: z
      .strictObject({
        url: text,
        secret: z.string().min(16, "must be at least 16 characters"),
        timeoutMs: z.number().int().min(1).default(10_000),
      })
      .superRefine((webhook, ctx) => {
        try {
          checkWebhookUrl(webhook.url, { field: "notify.webhook.url" });
        } catch (err) {
          const problem = isConnectorError(err) ? String(err.params.problem) : String(err);
          ctx.addIssue({ code: "custom", path: ["url"], message: problem });
        }
      })
      .optional(),
    email: z
      .strictObject({
        host: text,
        /** Default 465 with `security: tls`, else 587. */
        port: z.number().int().min(1).max(65_535).optional(),
        /** `tls` from the first byte; `starttls` upgrades and refuses a server without it; `none` only on a trusted network. */
        security: z.enum(["tls", "starttls", "none"]).default("starttls"),
        user: text.optional(),
        password: text.optional(),
        from: email,
        to: z.array(email).min(1, "lists at least one address"),
      })
      .superRefine((mail, ctx) => {
        if (Boolean(mail.user) !== Boolean(mail.password))
          ctx.addIssue({ code: "custom", path: ["password"], message: "give user and password together" });
      })
      .optional(),
  })
  .superRefine((notify, ctx) => {
    if (!notify.webhook && !notify.email) ctx.addIssue({ code: "custom", message: "needs webhook or email" });
  });
export type Notify = z.infer<typeof notifySchema>;

/**
 * Groups pushed beside the users (SCIM targets): the groups named, with their members that the mapping
 * provisions. Names and ids are matched as `source.users.memberOf` matches them.
 */
export const groupsSchema = z.strictObject({
  include: z.array(text).min(1, "lists at least one group (name or id)"),
  displayName: text.default("[displayName]"),
  externalId: text.default("[id]"),
});
export type GroupsSpec = z.infer<typeof groupsSchema>;

export const targetSchema = z.discriminatedUnion("type", [scimTarget, fileTarget, sqlTarget, httpTarget]);
export type Target = z.infer<typeof targetSchema>;

/** A count of disables + deletes per run, or a share of the records already provisioned ("10%"). */
const thresholdSchema = z.union([
  z.number().int().min(0),
  z.string().regex(/^(100(\.0+)?|[1-9]?\d(\.\d+)?)%$/, "must be a whole number or a percentage such as 10%"),
]);

export const DEFAULT_DELETION_THRESHOLD = 500;

export const mappingSchema = z
  .strictObject({
    name: z.string().regex(/^[a-z0-9][a-z0-9-_]*$/i, "must be letters, digits, - or _"),
    source: z.strictObject({ users: usersSourceSchema }),
    match: z.array(text).min(1, "names at least one attribute"),
    attributes: z.record(text, attributeSchema),
    target: targetSchema,
    groups: groupsSchema.optional(),
    notify: notifySchema.optional(),
    onLeave: z.union([leaveAction, leaveByReason]).default("disable"),
    deletionThreshold: thresholdSchema.default(DEFAULT_DELETION_THRESHOLD),
  })
  .superRefine((mapping, ctx) => {
    if (mapping.groups && mapping.target.type !== "scim")
      ctx.addIssue({
        code: "custom",
        path: ["groups"],
        message: `needs a scim target; a ${mapping.target.type} target has no groups`,
      });
    mapping.match.forEach((attribute, index) => {
      if (!(attribute in mapping.attributes))
        ctx.addIssue({
          code: "custom",
          path: ["match", index],
          message: `${attribute} is not in attributes`,
        });
    });
  });
export type Mapping = z.infer<typeof mappingSchema>;

export type LeaveReason = "outOfScope" | "disabled" | "softDeleted" | "hardDeleted";
export type LeavePolicy = Record<LeaveReason, LeaveAction>;

/**
 * The action per reason. A single value applies to every reason except a hard delete, which deletes: the
 * user can never come back, so a disabled record would linger for good. `ignore` means hands off entirely.
 */
export function leavePolicy(onLeave: Mapping["onLeave"]): LeavePolicy {
  if (typeof onLeave === "string") {
    return {
      outOfScope: onLeave,
      disabled: onLeave,
      softDeleted: onLeave,
      hardDeleted: onLeave === "ignore" ? "ignore" : "delete",
    };
  }
  return {
    outOfScope: onLeave.outOfScope ?? "disable",
    disabled: onLeave.disabled ?? "disable",
    softDeleted: onLeave.softDeleted ?? "disable",
    hardDeleted: onLeave.hardDeleted ?? "delete",
  };
}

/** The most disables + deletes one run may make; `provisioned` is how many records the target holds. */
export function deletionLimit(threshold: Mapping["deletionThreshold"], provisioned: number): number {
  if (typeof threshold === "number") return threshold;
  return Math.floor((provisioned * Number.parseFloat(threshold)) / 100);
}
