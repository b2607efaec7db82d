import type { Point } from '../lib/charts';
import type { Run, RunEvent } from './types';

/** How often run pages poll the API while a run is queued or running. */
export const RUN_POLL_MS = 2000;

/**
 * The loss curves of a run's metrics events: training loss per step, and the eval loss at the
 * steps where an eval ran. A step seen twice (a retried run resuming) keeps its latest value.
 */
export function lossSeries(events: RunEvent[]): { train: Point[]; eval: Point[] } {
  const train = new Map<number, number>();
  const evalLoss = new Map<number, number>();
  for (const e of events) {
    if (e.type !== 'metrics' || typeof e.data.step !== 'number') continue;
    if (typeof e.data.loss === 'number') train.set(e.data.step, e.data.loss);
    if (typeof e.data.eval?.loss === 'number') evalLoss.set(e.data.step, e.data.eval.loss);
  }
  const points = (m: Map<number, number>) => [...m].sort((a, b) => a[0] - b[0]).map(([x, y]) => ({ x, y }));
  return { train: points(train), eval: points(evalLoss) };
}

/** 0..1 of the steps done, or null when the run has not reported a step yet. */
export function progressFraction(run: Pick<Run, 'status' | 'progress'>): number | null {
  const { step, totalSteps } = run.progress ?? {};
  if (run.status === 'succeeded') return 1;
  const g = run.progress as { answered?: number; total?: number } | undefined;
  if (typeof g?.answered === 'number' && typeof g.total === 'number' && g.total > 0) return Math.min(1, g.answered / g.total); // generation
  if (typeof step !== 'number' || typeof totalSteps !== 'number' || totalSteps <= 0) return null;
  return Math.min(1, step / totalSteps);
}

/** react-query refetchInterval for a run (show page): poll while it is queued or running. */
export function pollRunWhileActive(query: { state: { data?: unknown } }): number | false {
  const run = query.state.data as Run | undefined;
  return run && (run.status === 'queued' || run.status === 'running') ? RUN_POLL_MS : false;
}

/** The same for the runs list: poll while any listed run is queued or running. */
export function pollRunsWhileActive(query: { state: { data?: unknown } }): number | false {
  const rows = (query.state.data as { data?: Run[] } | undefined)?.data ?? [];
  return rows.some((r) => r.status === 'queued' || r.status === 'running') ? RUN_POLL_MS : false;
}

/** A one-line summary of an event for the log. */
export function describeEvent(e: RunEvent): string {
  if (e.type === 'message') return String(e.data.message ?? '');
  const d = e.data;
  const parts = [`step ${d.step}${d.totalSteps ? `/${d.totalSteps}` : ''}`];
  if (typeof d.loss === 'number') parts.push(`loss ${d.loss.toFixed(4)}`);
  if (typeof d.lr === 'number') parts.push(`lr ${d.lr.toExponential(2)}`);
  if (typeof d.tokensPerSec === 'number') parts.push(`${Math.round(d.tokensPerSec).toLocaleString()} tok/s`);
  if (d.eval) parts.push(`eval loss ${Number(d.eval.loss).toFixed(4)}${typeof d.eval.tokenAccuracy === 'number' ? `, token accuracy ${(d.eval.tokenAccuracy * 100).toFixed(1)}%` : ''}`);
  return parts.join(' · ');
}
