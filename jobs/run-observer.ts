import type { TeacherObserver } from '@retort/teacher';

/** One training step as the metrics see it. */
export interface ObservedStep {
  /** Tokens trained on in this step (or in the steps since the last report). */
  tokens: number;
  /** Wall time per step since the last report. */
  seconds: number;
  loss: number;
  tokensPerSec: number;
}

/**
 * What a run's job reports while it works, for the worker's metrics. Jobs stay free of Prometheus:
 * the worker implements this, bound to the job's queue and kind.
 */
export interface RunObserver {
  trainStep(step: ObservedStep): void;
  checkpointWritten(): void;
  /** The run was found running when this job began: another worker (or attempt) had it. */
  takenOver(): void;
  teacher: TeacherObserver;
}

/** For callers without metrics (tests, `retort train`). */
export const NO_RUN_OBSERVER: RunObserver = {
  trainStep: () => undefined,
  checkpointWritten: () => undefined,
  takenOver: () => undefined,
  teacher: { attempt: () => undefined },
};
