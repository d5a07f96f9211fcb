/**
 * Graph's error envelope (docs/graph.md#errors) from typed errors. Every failure a route can produce is
 * a GraphError; anything else that escapes a handler becomes a 500 generalException without a stack.
 */

export interface ErrorDetail {
  code: string;
  message: string;
  target?: string;
}

export class GraphError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: ErrorDetail[] | undefined;
  /** Extra innerError fields (the 429 body carries code/message/status there). */
  readonly inner: Record<string, string> | undefined;
  /** Extra response headers (Retry-After, x-ms-throttle-*, Location). */
  readonly headers: Record<string, string> | undefined;

  constructor(
    status: number,
    code: string,
    message: string,
    extra?: { details?: ErrorDetail[]; inner?: Record<string, string>; headers?: Record<string, string> },
  ) {
    super(message);
    this.name = "GraphError";
    this.status = status;
    this.code = code;
    this.details = extra?.details;
    this.inner = extra?.inner;
    this.headers = extra?.headers;
  }
}

/** The errors the emulator answers with, each with Graph's real code and message. */
export const graphErrors = {
  notFound: (id: string) =>
    new GraphError(
      404,
      "Request_ResourceNotFound",
      `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`,
    ),
  badRequest: (message: string, code = "Request_BadRequest") => new GraphError(400, code, message),
  invalidRequest: (message: string) => new GraphError(400, "BadRequest", message),
  unknownSegment: (segment: string) =>
    new GraphError(400, "BadRequest", `Resource not found for the segment '${segment}'.`),
  methodNotAllowed: () =>
    new GraphError(405, "Request_BadRequest", "Specified HTTP method is not allowed for the request uri."),
  forbidden: () =>
    new GraphError(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation."),
  unauthenticated: (message: string) => new GraphError(401, "InvalidAuthenticationToken", message),
  conflict: (property: string) => {
    const message = `Another object with the same value for property ${property} already exists.`;
    return new GraphError(400, "Request_BadRequest", message, {
      details: [{ code: "ObjectConflict", message, target: property }],
    });
  },
  onPremisesMastered: () =>
    new GraphError(
      400,
      "Request_BadRequest",
      "Unable to update the specified properties for on-premises mastered Directory Sync objects or objects currently undergoing migration.",
    ),
  malformedJson: () =>
    new GraphError(
      400,
      "BadRequest",
      "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.",
    ),
  emptyBody: () => new GraphError(400, "BadRequest", "Empty Payload. JSON content expected."),
  unknownProperty: (property: string, type: string) =>
    new GraphError(
      400,
      "Request_BadRequest",
      `Property '${property}' does not exist as a declared property or extension property.`,
      {
        details: [
          {
            code: "InvalidValue",
            message: `Invalid property '${property}' on type '${type}'.`,
            target: property,
          },
        ],
      },
    ),
  missingProperty: (property: string) =>
    new GraphError(
      400,
      "Request_BadRequest",
      `Invalid value specified for property '${property}' of resource 'User'.`,
      {
        details: [
          {
            code: "MissingRequiredProperty",
            message: `Property '${property}' is required.`,
            target: property,
          },
        ],
      },
    ),
  invalidValue: (property: string, resource: string) =>
    new GraphError(
      400,
      "Request_BadRequest",
      `Invalid value specified for property '${property}' of resource '${resource}'.`,
    ),
  tooManyRequests: (retryAfterSec: number, headers: Record<string, string>) =>
    new GraphError(429, "TooManyRequests", "Please retry again later.", {
      inner: { code: "429", message: "Please retry after", status: "429" },
      headers: { "Retry-After": String(retryAfterSec), ...headers },
    }),
  serviceUnavailable: () =>
    new GraphError(503, "serviceNotAvailable", "Service is temporarily unavailable. Please retry later.", {
      headers: { "Retry-After": "2" },
    }),
  gatewayTimeout: () => new GraphError(504, "UnknownError", "The operation has timed out."),
  internal: () => new GraphError(500, "generalException", "An unexpected error occurred."),
};

/** `innerError.date` as Graph writes it: `YYYY-MM-DDTHH:MM:SS`, no fraction, no `Z`. */
export function innerErrorDate(now: number): string {
  return new Date(now).toISOString().slice(0, 19);
}

/**
 * Anything thrown inside a route, as a GraphError. Errors from the OData module (or any typed error with
 * a numeric `status` and string `code`) keep their status, code and message; the rest become a 500 that
 * reveals nothing of the emulator's internals.
 */
export function toGraphError(error: unknown): GraphError {
  if (error instanceof GraphError) return error;
  if (error instanceof Error) {
    const typed = error as Error & { status?: unknown; code?: unknown };
    if (typeof typed.status === "number" && typeof typed.code === "string" && typed.status >= 400) {
      return new GraphError(typed.status, typed.code, typed.message);
    }
  }
  return graphErrors.internal();
}

export function errorBody(
  error: GraphError,
  ids: { requestId: string; clientRequestId: string },
  now: number,
): { error: Record<string, unknown> } {
  const body: Record<string, unknown> = { code: error.code, message: error.message };
  if (error.details) body["details"] = error.details;
  body["innerError"] = {
    ...(error.inner ?? {}),
    date: innerErrorDate(now),
    "request-id": ids.requestId,
    "client-request-id": ids.clientRequestId,
  };
  return { error: body };
}
