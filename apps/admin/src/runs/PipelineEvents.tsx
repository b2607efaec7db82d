import { Alert } from '@mui/material';
import { EventLog } from './EventLog';
import { isFinished, type Run, type RunEvent } from './types';
import { STEP_LABEL, usePipelineSteps, type PipelineStep } from './usePipelineSteps';
import { useRunEvents } from './useRunEvents';

const stepActive = (step: PipelineStep | undefined) => !!step && !isFinished(step.run?.status);

/**
 * A pipeline's own events and its steps' (generate, train, evaluate), merged by time: the steps
 * are where the work happens, so a pipeline's log alone is nearly empty.
 */
export const PipelineEvents = ({ run, events }: { run: Run; events: RunEvent[] }) => {
  const steps = usePipelineSteps(run);
  const [generate, train, evaluate] = (['generate', 'train', 'evaluate'] as const).map((name) => steps.find((s) => s.name === name));
  // One hook per step, always called: the step list of a pipeline is fixed.
  const fromGenerate = useRunEvents(generate?.id, stepActive(generate));
  const fromTrain = useRunEvents(train?.id, stepActive(train));
  const fromEvaluate = useRunEvents(evaluate?.id, stepActive(evaluate));
  const labelOf = new Map<string, string>([[run.id, 'Pipeline'], ...steps.map((s) => [s.id, STEP_LABEL[s.name]] as [string, string])]);
  const merged = [...events, ...fromGenerate.events, ...fromTrain.events, ...fromEvaluate.events].sort((a, b) => a.at.localeCompare(b.at));
  const error = fromGenerate.error ?? fromTrain.error ?? fromEvaluate.error;
  return (
    <>
      {error && <Alert severity="warning">Could not read a step's events: {error.message}</Alert>}
      <EventLog events={merged} stepOf={(e) => labelOf.get(e.runId) ?? e.runId.slice(0, 8)} />
    </>
  );
};
