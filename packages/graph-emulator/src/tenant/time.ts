/** Graph's date-time form for directory objects: ISO 8601, UTC, whole seconds ("2024-08-20T04:25:57Z"). */
export function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}
