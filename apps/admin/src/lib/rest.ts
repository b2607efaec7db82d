import type { DataProvider, Identifier } from 'react-admin';
import type { DatasetVersion, RecordFilter, RecordStatus } from '../datasets/types';
import type { AdapterComparison, PromoteParams, PromotionResult } from '../adapters/types';
import type { ConnectionTest } from '../endpoints/types';
import type { ChatParams, ChatReply } from '../playground/types';
import type { Checkpoint, Run, RunEvent, WorkersView } from '../runs/types';

/** The HTTP client the wrappers call: fetchJson's shape (bearer and problem errors added by httpClient). */
export type JsonClient = (url: string, options?: RequestInit) => Promise<{ json: any; headers: Headers; status: number }>;

export interface BulkRecordsParams {
  filter: RecordFilter;
  status?: RecordStatus;
  addTags?: string[];
  removeTags?: string[];
}

export interface AnalyzeParams {
  dedup?: { threshold: number };
  pii?: boolean;
}

export interface SplitParams {
  evalFraction: number;
  seed: number;
  stratifyBy?: 'tag';
}

export interface CommitParams {
  from: string;
  include: 'not-rejected' | 'accepted';
  tag?: string;
}

/** Curation and run actions: the calls the console makes beyond CRUD and uploads. */
export interface RetortActions {
  /** `POST /dataset-versions/:id/records/bulk`: status and/or tags for every record matching a filter. */
  bulkRecords(versionId: Identifier, params: BulkRecordsParams): Promise<{ data: { updated: number } }>;
  /** `POST /dataset-versions/:id/analyze` (202): dedup and/or PII on the worker. */
  analyzeVersion(versionId: Identifier, params: AnalyzeParams): Promise<{ data: unknown }>;
  /** `POST /dataset-versions/:id/reject-duplicates`: all but the first record of each stored cluster. */
  rejectDuplicates(versionId: Identifier, kind: 'exact' | 'near'): Promise<{ data: { updated: number } }>;
  /** `POST /dataset-versions/:id/split`: tags records split:train / split:eval. */
  splitVersion(versionId: Identifier, params: SplitParams): Promise<{ data: { train: number; eval: number } }>;
  /** `POST /datasets/:id/versions` with `{from, include, tag?}`: the curation as the next version. */
  commitCuration(datasetId: Identifier, params: CommitParams): Promise<{ data: DatasetVersion }>;
  /** `GET /runs/:id/events?after=`: events after an event id, oldest first. */
  getRunEvents(runId: Identifier, after?: string): Promise<{ data: RunEvent[] }>;
  getRunCheckpoints(runId: Identifier): Promise<{ data: Checkpoint[] }>;
  cancelRun(runId: Identifier): Promise<{ data: Run }>;
  retryRun(runId: Identifier): Promise<{ data: Run }>;
  /** `GET /workers`: live workers and their training pools (what the memory estimate is checked against). */
  getWorkers(): Promise<{ data: WorkersView }>;
  /** `GET /adapters/:ref/compare?a=&b=`: two versions' metrics side by side (b - a). */
  compareAdapterVersions(ref: Identifier, a: number, b: number): Promise<{ data: AdapterComparison }>;
  /** `POST /adapters/:ref/promote` (admin); a 502 problem when a serving endpoint cannot load it. */
  promoteAdapter(ref: Identifier, params: PromoteParams): Promise<{ data: PromotionResult }>;
  /** `POST /adapters/:ref/rollback` (admin): back to the stage's previous version. */
  rollbackAdapter(ref: Identifier, stage: PromoteParams['stage']): Promise<{ data: PromotionResult }>;
  /** `POST /schedules/:ref/trigger` (202): fire now. */
  triggerSchedule(ref: Identifier): Promise<{ data: { queued: true } }>;
  /** `POST /endpoints/:id/test`: lists the endpoint's models with the stored key. */
  testEndpoint(id: Identifier): Promise<{ data: ConnectionTest }>;
  /** `POST /playground/chat`: one chat completion through an endpoint. */
  playgroundChat(params: ChatParams): Promise<{ data: ChatReply }>;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/**
 * The fields of `data` that differ from `previous`: what a PATCH should carry. The API's bodies
 * are strict, so read-only fields (id, createdAt, hasApiKey, ...) must not be sent back.
 */
export function changedFields(data: Record<string, unknown>, previous: Record<string, unknown> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(data)) {
    if (value === undefined) continue;
    if (!previous || !(key in previous) || !same(value, previous[key])) out[key] = value;
  }
  return out;
}

/**
 * The API updates with PATCH (changed fields only) and deletes with 204 No Content; simple-rest
 * would PUT the whole record and expect a body back.
 */
export function withPatchUpdates<T extends DataProvider>(base: T, apiUrl: string, http: JsonClient): T {
  return {
    ...base,
    async update(resource, params) {
      const body = changedFields(params.data, params.previousData);
      if (Object.keys(body).length === 0) return { data: params.previousData };
      const { json } = await http(`${apiUrl}/${resource}/${encodeURIComponent(String(params.id))}`, { method: 'PATCH', body: JSON.stringify(body) });
      return { data: json };
    },
    async delete(resource, params) {
      await http(`${apiUrl}/${resource}/${encodeURIComponent(String(params.id))}`, { method: 'DELETE' });
      return { data: params.previousData ?? { id: params.id } };
    },
  };
}

/** Drops empty values a filter form leaves behind ('' , null, []), which the API's strict filters refuse. */
export function cleanFilter<F extends Record<string, unknown>>(filter: F): Partial<F> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(filter)) {
    if (value === undefined || value === null || value === '') continue;
    if (Array.isArray(value) && value.length === 0) continue;
    out[key] = value;
  }
  return out as Partial<F>;
}

/**
 * `records` live under their version: getList('records', {filter: {versionId, ...}}) reads
 * `GET /dataset-versions/:versionId/records` with the rest of the filter.
 */
export function withVersionRecords<T extends DataProvider>(base: T): T {
  return {
    ...base,
    getList(resource, params) {
      if (resource !== 'records') return base.getList(resource, params);
      const { versionId, ...filter } = params.filter ?? {};
      if (!versionId) return Promise.reject(new Error('records need a versionId filter'));
      return base.getList(`dataset-versions/${encodeURIComponent(String(versionId))}/records`, { ...params, filter: cleanFilter(filter) });
    },
  };
}

/** Curation and run actions, plain JSON calls on the API. */
export function withActions<T extends DataProvider>(base: T, apiUrl: string, http: JsonClient): T & RetortActions {
  const id = (value: Identifier) => encodeURIComponent(String(value));
  const post = async (path: string, body?: unknown) => {
    const { json } = await http(`${apiUrl}${path}`, { method: 'POST', body: JSON.stringify(body ?? {}) });
    return { data: json };
  };
  const get = async (path: string) => ({ data: (await http(`${apiUrl}${path}`)).json });
  return {
    ...base,
    bulkRecords: (versionId, params) => post(`/dataset-versions/${id(versionId)}/records/bulk`, { ...params, filter: cleanFilter(params.filter as Record<string, unknown>) }),
    analyzeVersion: (versionId, params) => post(`/dataset-versions/${id(versionId)}/analyze`, params),
    rejectDuplicates: (versionId, kind) => post(`/dataset-versions/${id(versionId)}/reject-duplicates`, { kind }),
    splitVersion: (versionId, params) => post(`/dataset-versions/${id(versionId)}/split`, params),
    commitCuration: (datasetId, params) => post(`/datasets/${id(datasetId)}/versions`, cleanFilter(params as unknown as Record<string, unknown>)),
    getRunEvents: (runId, after = '0') => get(`/runs/${id(runId)}/events?after=${encodeURIComponent(after)}`),
    getRunCheckpoints: (runId) => get(`/runs/${id(runId)}/checkpoints`),
    cancelRun: (runId) => post(`/runs/${id(runId)}/cancel`),
    retryRun: (runId) => post(`/runs/${id(runId)}/retry`),
    getWorkers: () => get('/workers'),
    compareAdapterVersions: (ref, a, b) => get(`/adapters/${id(ref)}/compare?a=${a}&b=${b}`),
    promoteAdapter: (ref, params) => post(`/adapters/${id(ref)}/promote`, params),
    rollbackAdapter: (ref, stage) => post(`/adapters/${id(ref)}/rollback`, { stage }),
    triggerSchedule: (ref) => post(`/schedules/${id(ref)}/trigger`),
    testEndpoint: (endpointId) => post(`/endpoints/${id(endpointId)}/test`),
    playgroundChat: (params) => post('/playground/chat', params),
  };
}

