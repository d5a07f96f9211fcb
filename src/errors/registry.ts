import { ACTION_ERRORS } from "./registry/actions.ts";
import { AUTH_ERRORS } from "./registry/auth.ts";
import { GENERAL_ERRORS } from "./registry/general.ts";
import { GRAPH_ERRORS } from "./registry/graph.ts";
import { MAPPING_ERRORS } from "./registry/mapping.ts";
import { NETWORK_ERRORS } from "./registry/network.ts";
import { SERVICE_ERRORS } from "./registry/service.ts";
import { STORE_ERRORS } from "./registry/store.ts";
import { TRIGGER_ERRORS } from "./registry/triggers.ts";

/** Each domain's codes, in the order docs/errors.md lists them. */
export const ERROR_DOMAINS = {
  general: GENERAL_ERRORS,
  auth: AUTH_ERRORS,
  network: NETWORK_ERRORS,
  graph: GRAPH_ERRORS,
  actions: ACTION_ERRORS,
  store: STORE_ERRORS,
  triggers: TRIGGER_ERRORS,
  service: SERVICE_ERRORS,
  mapping: MAPPING_ERRORS,
} as const;

/** The one registry: every code the connector can report (a test checks no domain reuses a code). */
export const ERRORS = {
  ...GENERAL_ERRORS,
  ...AUTH_ERRORS,
  ...NETWORK_ERRORS,
  ...GRAPH_ERRORS,
  ...ACTION_ERRORS,
  ...STORE_ERRORS,
  ...TRIGGER_ERRORS,
  ...SERVICE_ERRORS,
  ...MAPPING_ERRORS,
} as const;

export type ErrorCode = keyof typeof ERRORS;
