import { JOB_RUN_KINDS } from '@retort/contracts';
import { useGetMany } from 'react-admin';
import { RUN_POLL_MS } from './metrics';
import { isFinished, type Run } from './types';

export const STEP_LABEL = { generate: 'Teacher generation', train: 'Training', evaluate: 'Evaluation' } as const;
export type StepName = keyof typeof STEP_LABEL;

export interface PipelineStep {
  name: StepName;
  id: string;
  /** The step's run once read. */
  run?: Run;
}

/** A pipeline's steps (`config.steps`: generate → train → evaluate) with their runs, polled while any is active. */
export function usePipelineSteps(pipeline: Run): PipelineStep[] {
  const ids = ((pipeline.config as { steps?: Partial<Record<StepName, string>> }).steps ?? {}) as Partial<Record<StepName, string>>;
  const steps = JOB_RUN_KINDS.filter((name) => ids[name]).map((name) => ({ name, id: ids[name]! }));
  const { data } = useGetMany<Run>(
    'runs',
    { ids: steps.map((s) => s.id) },
    { enabled: steps.length > 0, refetchInterval: (q) => (((q.state.data as Run[] | undefined) ?? []).every((r) => isFinished(r.status)) ? false : RUN_POLL_MS) },
  );
  const byId = new Map((data ?? []).map((r) => [r.id, r]));
  return steps.map((s) => ({ ...s, run: byId.get(s.id) }));
}
