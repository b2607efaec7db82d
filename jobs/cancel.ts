import type { DataSource } from 'typeorm';
import { Run } from '@retort/db';

/**
 * A flag that turns true once the run is marked cancelled in the database (the api's cancel),
 * polled every `everyMs`; `onCancel` runs once when it does.
 */
export function watchCancel(ds: DataSource, runId: string, everyMs: number, onCancel?: () => void): { get(): boolean; stop(): void } {
  let cancelled = false;
  const timer = setInterval(() => {
    ds.getRepository(Run)
      .findOne({ where: { id: runId }, select: { status: true } })
      .then((r) => {
        if (r?.status === 'cancelled' && !cancelled) {
          cancelled = true;
          onCancel?.();
        }
      })
      .catch(() => undefined);
  }, everyMs);
  return { get: () => cancelled, stop: () => clearInterval(timer) };
}
