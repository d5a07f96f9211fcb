/**
 * The registry of actions: every action by name, with its JSON Schema for the service API and for
 * platforms that render forms.
 */
import { z } from "zod";
import { createError } from "../errors.ts";
import { GROUP_ACTIONS } from "./groups.ts";
import { LICENSE_ACTIONS } from "./license-actions.ts";
import { SEARCH_ACTIONS } from "./search.ts";
import type { ActionDefinition } from "./types.ts";
import { USER_ACTIONS } from "./users.ts";

export const ACTIONS: readonly ActionDefinition[] = [
  ...USER_ACTIONS,
  ...GROUP_ACTIONS,
  ...LICENSE_ACTIONS,
  ...SEARCH_ACTIONS,
].sort((a, b) => a.name.localeCompare(b.name));

const byName = new Map(ACTIONS.map((a) => [a.name, a]));

export function getAction(name: string): ActionDefinition {
  const action = byName.get(name);
  if (!action) throw createError("ACTION_UNKNOWN", { name, known: ACTIONS.map((a) => a.name).join(", ") });
  return action;
}

export interface ActionDescription {
  name: string;
  summary: string;
  write: boolean;
  permissions: readonly string[];
  /** JSON Schema (draft 2020-12) of the input as a caller writes it (defaults optional). */
  inputSchema: unknown;
  outputSchema: unknown;
}

/** An action's public description, schemas included. */
export function describeAction(action: ActionDefinition): ActionDescription {
  return {
    name: action.name,
    summary: action.summary,
    write: action.write,
    permissions: action.permissions,
    inputSchema: z.toJSONSchema(action.input, { io: "input", unrepresentable: "any" }),
    outputSchema: z.toJSONSchema(action.output, { io: "output", unrepresentable: "any" }),
  };
}

export interface InputField {
  name: string;
  /** JSON Schema type(s), e.g. `string`, `array`, `string|null`. */
  type: string;
  required: boolean;
  description: string;
}

/** The top-level input fields of an action, as a form or a help page lists them. */
export function inputFields(action: ActionDefinition): InputField[] {
  const schema = describeAction(action).inputSchema as {
    properties?: Record<
      string,
      { type?: string | string[]; anyOf?: { type?: string }[]; description?: string }
    >;
    required?: string[];
  };
  return Object.entries(schema.properties ?? {}).map(([name, p]) => {
    const types = p.type ?? p.anyOf?.map((a) => a.type ?? "any") ?? "any";
    return {
      name,
      type: Array.isArray(types) ? types.join("|") : types,
      required: schema.required?.includes(name) ?? false,
      description: p.description ?? "",
    };
  });
}
