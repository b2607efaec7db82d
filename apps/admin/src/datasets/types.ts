import type { DatasetVersionStats, DatasetVersionStatus } from '@retort/contracts';

/** `[edges, counts]`: bin i counts values in [edges[i], edges[i+1]). */
export interface Histogram {
  edges: number[];
  counts: number[];
}

/** What the import job stores: the contract's stats plus tags and (with a tokenizer) tokens. */
export interface VersionStats extends DatasetVersionStats {
  /** Records per tag, as uploaded (curation changes since are not counted here). */
  tags?: Record<string, number>;
  duplicates?: { exact: number };
  tokens?: { min: number; max: number; mean: number; total: number; histogram: Histogram };
}

export type AnalysisStatus = 'queued' | 'running' | 'done' | 'failed';

export interface DedupClusters {
  clusters: number;
  duplicates: number;
  /** Record ids per cluster; the first of each is the one kept by "reject duplicates". */
  listed: string[][];
}

/** `analysis.dedup` and `analysis.pii` of a version, written by the analyze job. */
export interface VersionAnalysis {
  dedup?: { status: AnalysisStatus; requestId?: string; threshold?: number; exact?: DedupClusters; near?: DedupClusters; error?: string; at?: string };
  pii?: { status: AnalysisStatus; requestId?: string; counts?: { email: number; phone: number; card: number }; recordsChanged?: number; error?: string; at?: string };
}

export type VersionLineage =
  | { source: 'upload'; filename?: string }
  | { source: 'curation'; from: string; ops: unknown[] }
  | { source: 'generation'; runId: string };

/** A dataset version as the API returns it (immutable once ready). */
export interface DatasetVersion {
  id: string;
  datasetId: string;
  version: number;
  status: DatasetVersionStatus;
  records: number | null;
  size: number;
  sha256: string;
  stats: VersionStats | null;
  lineage?: VersionLineage;
  analysis?: VersionAnalysis;
  tokenizerModelId?: string | null;
  error: string | null;
  createdAt: string;
}

/** `GET /datasets` rows carry `latestVersion`; `GET /datasets/:id` adds `versions`, newest first. */
export interface Dataset {
  id: string;
  name: string;
  description: string | null;
  createdAt: string;
  latestVersion: DatasetVersion | null;
  versions?: DatasetVersion[];
}

export type RecordStatus = 'pending' | 'accepted' | 'rejected';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
  weight?: 0 | 1;
}

/** One conversation of a version (`GET /dataset-versions/:id/records`, `GET/PATCH /records/:id`). */
export interface DatasetRecord {
  id: string;
  versionId: string;
  idx: number;
  messages: ChatMessage[];
  meta: Record<string, unknown>;
  tags: string[];
  status: RecordStatus;
  contentHash: string;
  chars: number;
  tokenCount: number | null;
  edited: boolean;
}

/** The records list's filter (also what a bulk action applies to). */
export interface RecordFilter {
  id?: string[];
  status?: RecordStatus;
  tag?: string;
  q?: string;
  minChars?: number;
  maxChars?: number;
  edited?: boolean;
}
