import { invalidInput } from "./errors.ts";
import { type Edge, type PageInput, RELATIONS, RESOURCE_KINDS, type ReconcileInput } from "./types.ts";

/** Checks a page before its transaction starts, naming the first bad field. */
export function validatePage(page: PageInput): void {
  requireText(page.runId, "runId");
  requireText(page.stream, "stream");
  if (page.round !== undefined) requireRound(page.round, "round");
  if (page.checkpoint !== undefined) requireCheckpoint(page.checkpoint, "checkpoint");
  page.upserts?.forEach((r, i) => {
    const at = `upserts[${i}]`;
    requireKind(r.kind, `${at}.kind`);
    requireText(r.id, `${at}.id`);
    if (typeof r.data !== "object" || r.data === null || Array.isArray(r.data)) {
      invalid(`${at}.data`, "must be the Graph object (a JSON object)");
    }
    if (r.data.id !== undefined && r.data.id !== r.id) invalid(`${at}.data.id`, `must equal ${at}.id`);
  });
  page.deletes?.forEach((d, i) => {
    requireKind(d.kind, `deletes[${i}].kind`);
    requireText(d.id, `deletes[${i}].id`);
    if (d.data === undefined) return;
    if (d.soft !== true) invalid(`deletes[${i}].data`, "is kept only for a soft delete (soft: true)");
    if (typeof d.data !== "object" || d.data === null || Array.isArray(d.data)) {
      invalid(`deletes[${i}].data`, "must be the Graph object (a JSON object)");
    }
    if (d.data.id !== undefined && d.data.id !== d.id)
      invalid(`deletes[${i}].data.id`, `must equal deletes[${i}].id`);
  });
  page.edges?.add?.forEach((e, i) => {
    requireEdge(e, `edges.add[${i}]`);
    requireText(e.principalType, `edges.add[${i}].principalType`);
  });
  page.edges?.remove?.forEach((e, i) => {
    requireEdge(e, `edges.remove[${i}]`);
  });
}

export function validateReconcile(input: ReconcileInput): void {
  requireText(input.runId, "runId");
  requireText(input.stream, "stream");
  requireRound(input.round, "round");
  input.kinds?.forEach((k, i) => {
    requireKind(k, `kinds[${i}]`);
  });
  input.relations?.forEach((r, i) => {
    requireRelation(r, `relations[${i}]`);
  });
  input.objectIds?.forEach((id, i) => {
    requireText(id, `objectIds[${i}]`);
  });
  if (input.checkpoint !== undefined) requireCheckpoint(input.checkpoint, "checkpoint");
}

function requireEdge(edge: Edge, at: string): void {
  requireRelation(edge.relation, `${at}.relation`);
  requireText(edge.objectId, `${at}.objectId`);
  requireText(edge.principalId, `${at}.principalId`);
  if (edge.qualifier !== undefined && typeof edge.qualifier !== "string")
    invalid(`${at}.qualifier`, "must be a string");
}

function requireCheckpoint(checkpoint: PageInput["checkpoint"], at: string): void {
  if (!checkpoint || !Number.isInteger(checkpoint.version) || checkpoint.version < 1) {
    invalid(`${at}.version`, "must be a positive integer");
  }
  if (typeof checkpoint.data !== "object" || checkpoint.data === null)
    invalid(`${at}.data`, "must be an object");
}

function requireRound(round: number, at: string): void {
  if (!Number.isInteger(round) || round < 1) invalid(at, "must be a number from sync.newRound()");
}

function requireKind(kind: unknown, at: string): void {
  if (!RESOURCE_KINDS.includes(kind as never)) invalid(at, `must be one of ${RESOURCE_KINDS.join(", ")}`);
}

function requireRelation(relation: unknown, at: string): void {
  if (!RELATIONS.includes(relation as never)) invalid(at, `must be one of ${RELATIONS.join(", ")}`);
}

function requireText(value: unknown, at: string): void {
  if (typeof value !== "string" || value === "") invalid(at, "must be a non-empty string");
}

function invalid(field: string, rule: string): never {
  throw invalidInput(field, rule);
}
