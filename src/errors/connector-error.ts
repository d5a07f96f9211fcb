import { ERRORS, type ErrorCode } from "./registry.ts";
import type { ErrorSpec } from "./spec.ts";

type Placeholders<S> = S extends `${string}{${infer P}}${infer R}` ? P | Placeholders<R> : never;
type SpecParams<C extends ErrorCode> = Placeholders<(typeof ERRORS)[C]["message"]> | FixParams<C>;
type FixParams<C extends ErrorCode> = (typeof ERRORS)[C] extends { fix: infer F } ? Placeholders<F> : never;
/** The parameters a code's templates need, by name. */
export type ErrorParams<C extends ErrorCode> = Record<SpecParams<C>, string | number>;

function fill(template: string, params: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in params ? String(params[name]) : whole,
  );
}

export interface ErrorJSON {
  code: string;
  message: string;
  fix?: string;
  status: number;
  retryable: boolean;
  exitCode: number;
  [detail: string]: unknown;
}

/** Every connector failure: a registry code plus its filled message, fix, status and exit code. */
export class ConnectorError<C extends ErrorCode = ErrorCode> extends Error {
  override name = "ConnectorError";
  readonly code: C;
  readonly fix: string | undefined;
  readonly status: number;
  readonly exitCode: number;
  readonly retryable: boolean;
  readonly params: Readonly<Record<string, string | number>>;

  constructor(code: C, params: ErrorParams<C>, options: { cause?: unknown; retryable?: boolean } = {}) {
    const spec: ErrorSpec = ERRORS[code];
    const p = params as Record<string, string | number>;
    super(fill(spec.message, p), options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.fix = spec.fix === undefined ? undefined : fill(spec.fix, p);
    this.status = spec.status;
    this.exitCode = spec.exit;
    this.retryable = options.retryable ?? spec.retryable;
    this.params = p;
  }

  /** The shape printed by `--json` and the service API. */
  toJSON(): ErrorJSON {
    const out: ErrorJSON = {
      code: this.code,
      message: this.message,
      status: this.status,
      retryable: this.retryable,
      exitCode: this.exitCode,
    };
    if (this.fix !== undefined) out.fix = this.fix;
    return out;
  }
}

/** Shorthand for `new ConnectorError(code, params)`. */
export function createError<C extends ErrorCode>(
  code: C,
  params: ErrorParams<C>,
  options?: { cause?: unknown; retryable?: boolean },
): ConnectorError<C> {
  return new ConnectorError(code, params, options);
}

export function isConnectorError<C extends ErrorCode>(err: unknown, code?: C): err is ConnectorError<C> {
  return err instanceof ConnectorError && (code === undefined || err.code === code);
}

/**
 * Any thrown value as a ConnectorError (unknown errors become INTERNAL). Pass the operation's
 * `signal`: once it has aborted, whatever failed is the cancellation, since a wait given up rejects
 * with the abort's reason, which may be any value (e.g. a plain Error naming the signal received).
 */
export function toConnectorError(err: unknown, signal?: AbortSignal): ConnectorError {
  if (signal?.aborted && !isConnectorError(err, "REQUEST_ABORTED"))
    return createError("REQUEST_ABORTED", {}, { cause: err });
  if (err instanceof ConnectorError) return err;
  if (err instanceof Error && err.name === "AbortError") return createError("REQUEST_ABORTED", {});
  const detail = err instanceof Error ? err.message : String(err);
  return createError("INTERNAL", { detail }, { cause: err });
}
