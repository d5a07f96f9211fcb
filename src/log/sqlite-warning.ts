/**
 * node:sqlite still announces itself as experimental on Node 24; users of a CLI cannot act on that,
 * and the store's worker thread would announce it a second time. Call before node:sqlite loads.
 */
export function silenceSqliteWarning(): void {
  const emitWarning = process.emitWarning.bind(process);
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    if (String(warning).includes("SQLite is an experimental feature")) return;
    (emitWarning as (w: string | Error, ...r: unknown[]) => void)(warning, ...rest);
  }) as typeof process.emitWarning;
}
