import { isFinishedRun, type RunStatusName, type TrainRunConfig, type TrainRunProgress } from '@retort/contracts';

export type RunStatus = RunStatusName;
export const isFinished = (status: RunStatus | undefined) => isFinishedRun(status);

/** run.progress while training (the latest metrics), and its final metrics once succeeded. */
export type RunProgress = TrainRunProgress;
export type EvalMetrics = NonNullable<TrainRunProgress['eval']>;

export interface Run {
  id: string;
  kind: 'generate' | 'train' | 'evaluate' | 'pipeline';
  parentId: string | null;
  status: RunStatus;
  config: Partial<TrainRunConfig> & Record<string, unknown>;
  progress: RunProgress;
  error: string | null;
  worker: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

/** One line of `GET /runs/:id/events`: metrics (a training step) or a message. */
export interface RunEvent {
  id: string;
  runId: string;
  at: string;
  level: 'debug' | 'info' | 'warn' | 'error';
  type: 'message' | 'metrics';
  data: Record<string, any>;
}

export interface Checkpoint {
  id: string;
  runId: string;
  step: number;
  artifactPrefix: string;
  metrics: { loss?: number; evalLoss?: number; tokenAccuracy?: number } & Record<string, unknown>;
  createdAt: string;
}

/** `GET /workers`. */
export interface WorkersView {
  workers: { name: string; backend: string; memoryBytes: number; queues: string[]; startedAt: string }[];
  /** Workers of the train queue grouped by backend and memory (the planner's fitPools input). */
  trainPools: { name: string; memoryBytes: number; backend: string; workers: number; weightsOnHost?: boolean }[];
}

export interface AnswerScores {
  exact: number;
  contains: number;
  rougeL: number;
  jsonValid: number;
  regex?: number;
}

/** One column of an evaluation report: the base model, an adapter version, or the teacher. */
export interface SubjectReport {
  label: string;
  kind: 'base' | 'adapter' | 'teacher';
  adapterVersionId?: string;
  n: number;
  scores: AnswerScores;
  loss?: number;
  perplexity?: number;
  tokenAccuracy?: number;
  samples: { prompt: string; reference: string; answer: string }[];
}

/** An evaluate run's `progress.report`. */
export interface EvaluationReport {
  datasetVersionId: string;
  n: number;
  subjects: SubjectReport[];
  at: string;
}

export interface GateCheck {
  rule: string;
  passed: boolean;
  detail: string;
}

/** The promotion gate's verdict for a candidate against production. */
export interface GateVerdict {
  passed: boolean;
  reasons: string[];
  checks: GateCheck[];
  productionVersionId: string | null;
  evaluateRunId?: string;
}
