/**
 * A recording fake GraphClient for the actions' logic tests: routes answer by method and path, every
 * request is kept, and a route no request used fails the test that made it (checked after each test
 * of a file that imports this module): a route that is never asked for tests nothing.
 */
import { afterEach } from "node:test";
import { GraphError } from "../src/errors.ts";
import type { GraphClient, GraphPage, GraphRequestOptions, GraphResponse } from "../src/graph/types.ts";

export interface Recorded {
  method: string;
  url: string;
  body?: unknown;
}

type Answer = { status?: number; body?: unknown } | GraphError;
type Handler = (url: string, body: unknown) => Answer;

export function graphError(status: number, message: string, graphCode = "Request_BadRequest"): GraphError {
  const code =
    status === 404 ? "GRAPH_NOT_FOUND" : status === 403 ? "GRAPH_FORBIDDEN" : ("GRAPH_BAD_REQUEST" as const);
  return new GraphError({
    code,
    status,
    graphCode,
    graphMessage: message,
    requestId: `req-${status}`,
    method: "X",
    url: "/x",
  });
}

/** The fakes made by the running test. */
const made: FakeGraph[] = [];

afterEach(() => {
  const unused = made.flatMap((graph) => graph.unused());
  made.length = 0;
  if (unused.length > 0) throw new Error(`fake routes no request used: ${unused.join(", ")}`);
});

export class FakeGraph implements GraphClient {
  readonly graphRoot = "https://graph.microsoft.com";
  readonly requests: Recorded[] = [];
  readonly #routes: { method: string; re: RegExp; handler: Handler; used: number }[] = [];

  constructor() {
    made.push(this);
  }

  on(method: string, re: RegExp, handler: Handler | Answer): this {
    this.#routes.push({
      method,
      re,
      handler: typeof handler === "function" ? handler : () => handler,
      used: 0,
    });
    return this;
  }

  unused(): string[] {
    return this.#routes.filter((r) => r.used === 0).map((r) => `${r.method} ${r.re}`);
  }

  writes(): Recorded[] {
    return this.requests.filter((r) => r.method !== "GET");
  }

  async request<T>(url: string, options: GraphRequestOptions = {}): Promise<GraphResponse<T>> {
    const method = options.method ?? "GET";
    options.signal?.throwIfAborted();
    this.requests.push({ method, url, ...(options.body === undefined ? {} : { body: options.body }) });
    const route = this.#routes.find((r) => r.method === method && r.re.test(url));
    if (!route) throw new Error(`no fake route for ${method} ${url}`);
    route.used++;
    const answer = route.handler(url, options.body);
    if (answer instanceof GraphError) throw answer;
    const status = answer.status ?? (answer.body === undefined ? 204 : 200);
    return { status, headers: {}, body: answer.body as T, requestId: `req-${this.requests.length}` };
  }

  async get<T>(url: string, options?: GraphRequestOptions): Promise<T> {
    return (await this.request<T>(url, options)).body;
  }

  async *pages<T>(url: string, options?: GraphRequestOptions): AsyncIterable<GraphPage<T>> {
    const body = await this.get<{ value: T[] }>(url, options);
    yield { value: body.value };
  }

  delta<T>(url: string, options?: GraphRequestOptions): AsyncIterable<GraphPage<T>> {
    return this.pages<T>(url, options);
  }

  async batch(): Promise<never> {
    throw new Error("batch is not faked");
  }

  stats() {
    return { requests: this.requests.length, resourceUnits: 0, throttled: 0, throttleWaitMs: 0, retries: 0 };
  }

  async close(): Promise<void> {}
}

export const USER_ID = "11111111-1111-4111-8111-111111111111";
export const GROUP_ID = "22222222-2222-4222-8222-222222222222";
