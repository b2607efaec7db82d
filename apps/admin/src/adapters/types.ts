import type { AnswerScores, GateVerdict } from '../runs/types';

export type Stage = 'staging' | 'production';
export const STAGES: Stage[] = ['production', 'staging'];

/** `GET /adapters` items. */
export interface Adapter {
  id: string;
  name: string;
  baseModelId: string;
  baseModel: string | null;
  latestVersion: number | null;
  /** stage → version number */
  stages: Partial<Record<Stage, number>>;
  createdAt: string;
}

export interface VersionEvaluation {
  label: string;
  loss?: number;
  perplexity?: number;
  tokenAccuracy?: number;
  scores: AnswerScores;
  runId: string;
  datasetVersionId?: string;
  n?: number;
}

export interface AdapterVersion {
  id: string;
  adapterId: string;
  version: number;
  sha256: string;
  config: Record<string, any>;
  metrics: {
    finalLoss?: number;
    steps?: number;
    eval?: { loss: number; perplexity?: number; tokenAccuracy?: number };
    evaluation?: VersionEvaluation;
  } & Record<string, any>;
  lineage: {
    baseModel?: { id: string; name: string };
    /** Dataset version ids the adapter was trained on. */
    datasetVersions?: string[];
    evalDatasetVersion?: string | null;
    teacherEndpoint?: { id: string; name: string; model: string } | null;
    /** The training run's id, and its pipeline's when it was a step of one. */
    run?: string;
    pipeline?: string | null;
    hyperparameters?: Record<string, any>;
    codeVersion?: string;
  } & Record<string, any>;
  runId: string | null;
  gate: GateVerdict | null;
  createdAt: string;
}

export interface StageHistoryEntry {
  id: string;
  stage: Stage;
  action: 'promote' | 'rollback' | 'failed';
  fromVersionId: string | null;
  toVersionId: string | null;
  actor: string;
  detail: Record<string, any>;
  at: string;
}

/**
 * A version loaded on a serving endpoint. The API reads these with raw SQL, so the columns may come
 * back snake_case (served_as, updated_at): read them through `deploymentFields`.
 */
export interface Deployment {
  id: string;
  endpoint: string;
  stage: Stage;
  servedAs?: string;
  served_as?: string;
  versionId?: string;
  version_id?: string;
  status: 'loading' | 'serving' | 'failed' | 'unloaded';
  error: string | null;
  log: Record<string, any>[];
  updatedAt?: string;
  updated_at?: string;
}

export const deploymentFields = (d: Deployment) => ({
  servedAs: d.servedAs ?? d.served_as ?? '',
  versionId: d.versionId ?? d.version_id ?? null,
  updatedAt: d.updatedAt ?? d.updated_at ?? null,
});

/** `GET /adapters/:ref`. */
export interface AdapterDetail extends Adapter {
  versions: AdapterVersion[];
  history: StageHistoryEntry[];
  deployments: Deployment[];
}

export interface AdapterComparison {
  a: AdapterVersion;
  b: AdapterVersion;
  metrics: { metric: string; a: number | null; b: number | null; delta: number | null }[];
}

export interface PromoteParams {
  version: number;
  stage: Stage;
  endpoints?: string[];
}

export interface PromotionResult {
  adapter: string;
  stage: Stage;
  version: number;
  previous: number | null;
  servedAs: string;
  endpoints: { endpoint: string; steps?: unknown[] }[];
}
