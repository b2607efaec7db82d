import type { DataSource } from 'typeorm';
import { parseRunConfig, type JobRunKind, type RunConfigOf, type RunJobResult } from '@retort/contracts';
import { RunRepository, type Run } from '@retort/db';
import { ForeignJobError } from './run-errors';

export type BegunRun<K extends JobRunKind> = { run: Run; config: RunConfigOf<K>; runs: RunRepository } | { result: RunJobResult };

export interface BeginOptions<K extends JobRunKind> {
  /** In a pipeline: the step this one reads from; it must have succeeded. */
  predecessor?: (config: RunConfigOf<K>) => string | undefined;
  /** Work between the pipeline check and the claim (e.g. waiting for the predecessor's output). */
  prepare?: (config: RunConfigOf<K>, runs: RunRepository) => Promise<RunConfigOf<K>>;
  /** Called when this worker claims a run that was already running (a takeover). */
  onTakeover?: () => void;
}

/**
 * How every run's job starts: a finished run is not run again (a redelivered job), a pipeline step
 * whose predecessor did not succeed ends as that one did, and the run is claimed for this worker
 * unless it was cancelled meanwhile. Returns the run and its parsed config, or the job's result.
 */
export async function beginRun<K extends JobRunKind>(ds: DataSource, runId: string, kind: K, worker: string, opts: BeginOptions<K> = {}): Promise<BegunRun<K>> {
  const runs = new RunRepository(ds);
  const run = await runs.find(runId);
  if (!run) throw new ForeignJobError(`run ${runId}`);
  if (run.status === 'succeeded' || run.status === 'cancelled') return { result: { status: run.status } };
  let config = parseRunConfig(kind, run.config);
  if ((await startStep(runs, run, opts.predecessor?.(config))) === 'skip') return { result: { status: 'skipped' } };
  if (opts.prepare) config = await opts.prepare(config, runs);
  if (!(await runs.claim(run.id, worker))) return { result: { status: 'cancelled' } };
  if (run.status === 'running') opts.onTakeover?.();
  return { run, config, runs };
}

/**
 * A pipeline step starting: the pipeline is running from its first step on. A step whose
 * predecessor did not succeed does not run: it ends as that step did (cancelled or failed).
 */
async function startStep(runs: RunRepository, run: Run, predecessorId?: string): Promise<'go' | 'skip'> {
  if (!run.parentId) return 'go';
  await runs.startPipeline(run.parentId);
  if (!predecessorId) return 'go';
  const before = await runs.get(predecessorId);
  if (before.status === 'succeeded') return 'go';
  await runs.endUnrun(run.id, before.status === 'cancelled' ? 'cancelled' : 'failed', `not run: the ${before.kind} step is ${before.status}`);
  return 'skip';
}

/**
 * A flag that turns true once the run is marked cancelled in the database (the api's cancel),
 * polled every `everyMs`; `onCancel` runs once when it does.
 */
export function watchCancel(runs: RunRepository, runId: string, everyMs: number, onCancel?: () => void): { get(): boolean; stop(): void } {
  let cancelled = false;
  const timer = setInterval(() => {
    runs
      .statusOf(runId)
      .then((status) => {
        if (status === 'cancelled' && !cancelled) {
          cancelled = true;
          onCancel?.();
        }
      })
      .catch(() => undefined);
  }, everyMs);
  return { get: () => cancelled, stop: () => clearInterval(timer) };
}

/** The row a lookup found; a missing one is an error naming what was looked for. */
export async function found<T>(lookup: Promise<T | null>, what: string): Promise<T> {
  const row = await lookup;
  if (!row) throw new Error(`${what} does not exist`);
  return row;
}
