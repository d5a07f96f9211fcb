import { ConnectorError, type ErrorJSON, type ErrorParams } from "./connector-error.ts";
import type { ErrorCode } from "./registry.ts";

export type GraphErrorCode = Extract<ErrorCode, `GRAPH_${string}`>;

export interface GraphErrorInit {
  code: GraphErrorCode;
  status: number;
  graphCode: string;
  graphMessage: string;
  requestId: string;
  method: string;
  /** The request URL with paging/delta tokens elided; never carries credentials. */
  url: string;
  deltaExpired?: boolean;
  retryable?: boolean;
  attempts?: number;
  /** The `details` array of the Graph error envelope, when present. */
  details?: unknown[];
  cause?: unknown;
}

/** A non-2xx answer from Microsoft Graph, after the client's retries. */
export class GraphError extends ConnectorError<GraphErrorCode> {
  override name = "GraphError";
  readonly httpStatus: number;
  readonly graphCode: string;
  readonly graphMessage: string;
  readonly requestId: string;
  readonly method: string;
  readonly url: string;
  readonly deltaExpired: boolean;
  readonly details: unknown[];

  constructor(init: GraphErrorInit) {
    const params = {
      method: init.method,
      url: init.url,
      status: init.status,
      graphCode: init.graphCode,
      graphMessage: init.graphMessage,
      requestId: init.requestId || "none",
      attempts: init.attempts ?? 1,
    };
    const opts: { cause?: unknown; retryable?: boolean } = { cause: init.cause };
    if (init.retryable !== undefined) opts.retryable = init.retryable;
    super(init.code, params as ErrorParams<GraphErrorCode>, opts);
    this.httpStatus = init.status;
    this.graphCode = init.graphCode;
    this.graphMessage = init.graphMessage;
    this.requestId = init.requestId;
    this.method = init.method;
    this.url = init.url;
    this.deltaExpired = init.deltaExpired ?? false;
    this.details = init.details ?? [];
  }

  override toJSON(): ErrorJSON {
    return {
      ...super.toJSON(),
      httpStatus: this.httpStatus,
      graphCode: this.graphCode,
      requestId: this.requestId,
      method: this.method,
      url: this.url,
      deltaExpired: this.deltaExpired,
    };
  }
}
