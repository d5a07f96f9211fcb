/** CLI exit codes, decided once here. */
export const EXIT = {
  ok: 0,
  internal: 1,
  usage: 2,
  auth: 3,
  network: 4,
  graph: 5,
  permissions: 6,
  cancelled: 130,
} as const;

export interface ErrorSpec {
  message: string;
  fix?: string;
  status: number;
  retryable: boolean;
  exit: number;
}
