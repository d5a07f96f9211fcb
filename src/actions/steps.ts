import { ConnectorError, createError } from "../errors.ts";
import type { ActionContext } from "./types.ts";

/**
 * A multi-step write that cannot be made atomic in Graph (create a user, then licence it, then add it to
 * groups). Each step is named; when one fails after others have changed the tenant, the error says
 * which step failed, why, what was left in place and what was not done, so nothing is silently half-done.
 */
export class Steps {
  readonly #ctx: ActionContext;
  readonly #action: string;
  readonly #left: string[] = [];
  #pending: string[];

  constructor(ctx: ActionContext, action: string, planned: string[]) {
    this.#ctx = ctx;
    this.#action = action;
    this.#pending = [...planned];
  }

  /** Records a step that already succeeded (e.g. the create whose id the later steps need). */
  done(name: string, leaves: string): void {
    this.#left.push(leaves);
    this.#pending = this.#pending.filter((p) => p !== name);
  }

  /** Runs a step; `leaves` describes what it leaves in the tenant once it succeeded. */
  async run<T>(name: string, leaves: string, fn: () => Promise<T>): Promise<T> {
    try {
      const out = await fn();
      this.done(name, leaves);
      return out;
    } catch (err) {
      if (this.#left.length === 0) throw err;
      const explained = await this.#ctx.explain(err);
      const cause = explained instanceof ConnectorError ? explained : err;
      throw createError(
        "WRITE_INCOMPLETE",
        {
          action: this.#action,
          step: name,
          cause: cause instanceof Error ? cause.message : String(cause),
          left: this.#left.join("; "),
          notDone: this.#pending.filter((p) => p !== name).join("; ") || "nothing else",
        },
        { cause },
      );
    }
  }
}
