import type { DataProvider } from 'react-admin';
import { roleCan } from '../src/lib/access';
import { formatTick, linearScale, niceTicks } from '../src/lib/chartMath';
import { changedFields, cleanFilter, withActions, withPatchUpdates, withVersionRecords, type JsonClient } from '../src/lib/rest';
import { elapsedMs, formatDuration } from '../src/lib/time';
import { endpointBody } from '../src/endpoints/body';
import { recordPreview, clip } from '../src/curation/preview';
import { modelShape } from '../src/models/shape';
import { evaluateBody, runBody, RUN_DEFAULTS } from '../src/runs/body';
import { describeEvent, lossSeries, pollRunsWhileActive, pollRunWhileActive, progressFraction, RUN_POLL_MS } from '../src/runs/metrics';
import type { Run, RunEvent } from '../src/runs/types';

/** A fake JSON client that records calls and answers from a function. */
function fakeHttp(answer: (url: string, init?: RequestInit) => unknown = () => ({})) {
  const calls: { url: string; method: string; body: unknown }[] = [];
  const http: JsonClient = async (url, init) => {
    calls.push({ url, method: init?.method ?? 'GET', body: init?.body ? JSON.parse(String(init.body)) : undefined });
    return { json: answer(url, init), headers: new Headers(), status: 200 };
  };
  return { http, calls };
}

const baseProvider = (calls: { resource: string; params: any }[]): DataProvider =>
  ({
    getList: async (resource: string, params: any) => {
      calls.push({ resource, params });
      return { data: [], total: 0 };
    },
  }) as unknown as DataProvider;

describe('access rules for the new resources', () => {
  it('lets operators curate and run, and only admins change endpoints', () => {
    expect(roleCan('operator', 'curate', 'datasets')).toBe(true);
    expect(roleCan('viewer', 'curate', 'datasets')).toBe(false);
    expect(roleCan('operator', 'create', 'runs')).toBe(true);
    expect(roleCan('operator', 'cancel', 'runs')).toBe(true);
    expect(roleCan('viewer', 'retry', 'runs')).toBe(false);
    expect(roleCan('operator', 'create', 'models')).toBe(true);
    expect(roleCan('viewer', 'list', 'endpoints')).toBe(true);
    expect(roleCan('operator', 'show', 'endpoints')).toBe(true);
    expect(roleCan('operator', 'create', 'endpoints')).toBe(false);
    expect(roleCan('operator', 'edit', 'endpoints')).toBe(false);
    expect(roleCan('admin', 'edit', 'endpoints')).toBe(true);
    expect(roleCan('admin', 'delete', 'endpoints')).toBe(true);
  });
});

describe('data provider wrappers', () => {
  it('PATCHes only the fields that changed, and nothing when nothing did', async () => {
    expect(changedFields({ id: '1', status: 'accepted', tags: ['a'], messages: [{ role: 'user', content: 'x' }] }, { id: '1', status: 'pending', tags: ['a'], messages: [{ role: 'user', content: 'x' }] })).toEqual({ status: 'accepted' });
    expect(changedFields({ id: 'e', name: 'n', apiKey: null, hasApiKey: true }, { id: 'e', name: 'n', hasApiKey: true })).toEqual({ apiKey: null });

    const { http, calls } = fakeHttp((url) => ({ id: url }));
    const dp = withPatchUpdates({} as DataProvider, '/api/v1', http);
    await dp.update('records', { id: '7', data: { id: '7', status: 'rejected', chars: 3 }, previousData: { id: '7', status: 'pending', chars: 3 } });
    expect(calls).toEqual([{ url: '/api/v1/records/7', method: 'PATCH', body: { status: 'rejected' } }]);
    const same = await dp.update('records', { id: '7', data: { id: '7', status: 'pending' }, previousData: { id: '7', status: 'pending' } });
    expect(same.data).toEqual({ id: '7', status: 'pending' });
    expect(calls).toHaveLength(1);
    const deleted = await dp.delete('endpoints', { id: 'e1', previousData: { id: 'e1', name: 'x' } });
    expect(calls[1]).toEqual({ url: '/api/v1/endpoints/e1', method: 'DELETE', body: undefined });
    expect(deleted.data).toEqual({ id: 'e1', name: 'x' });
  });

  it('reads records under their version, without empty filter values', async () => {
    const calls: { resource: string; params: any }[] = [];
    const dp = withVersionRecords(baseProvider(calls));
    await dp.getList('records', { filter: { versionId: 'v-1', q: 'refund', status: '', tag: null, minChars: 0 }, pagination: { page: 1, perPage: 25 }, sort: { field: 'idx', order: 'ASC' } });
    expect(calls[0]).toMatchObject({ resource: 'dataset-versions/v-1/records', params: { filter: { q: 'refund', minChars: 0 } } });
    await dp.getList('runs', { filter: { status: 'running' } });
    expect(calls[1]).toMatchObject({ resource: 'runs', params: { filter: { status: 'running' } } });
    await expect(dp.getList('records', { filter: {} })).rejects.toThrow(/versionId/);
    expect(cleanFilter({ a: '', b: null, c: [], d: false, e: 0, f: 'x' })).toEqual({ d: false, e: 0, f: 'x' });
  });

  it('sends curation and run actions to their routes', async () => {
    const { http, calls } = fakeHttp(() => ({ updated: 2 }));
    const dp = withActions({} as DataProvider, '/api/v1', http);
    await dp.bulkRecords('v1', { filter: { q: 'refund', tag: '' }, status: 'rejected' });
    await dp.analyzeVersion('v1', { dedup: { threshold: 0.8 } });
    await dp.rejectDuplicates('v1', 'exact');
    await dp.splitVersion('v1', { evalFraction: 0.1, seed: 0 });
    await dp.commitCuration('d1', { from: 'v1', include: 'accepted' });
    await dp.getRunEvents('r1', '41');
    await dp.getRunCheckpoints('r1');
    await dp.cancelRun('r1');
    await dp.retryRun('r1');
    expect(calls).toEqual([
      { url: '/api/v1/dataset-versions/v1/records/bulk', method: 'POST', body: { filter: { q: 'refund' }, status: 'rejected' } },
      { url: '/api/v1/dataset-versions/v1/analyze', method: 'POST', body: { dedup: { threshold: 0.8 } } },
      { url: '/api/v1/dataset-versions/v1/reject-duplicates', method: 'POST', body: { kind: 'exact' } },
      { url: '/api/v1/dataset-versions/v1/split', method: 'POST', body: { evalFraction: 0.1, seed: 0 } },
      { url: '/api/v1/datasets/d1/versions', method: 'POST', body: { from: 'v1', include: 'accepted' } },
      { url: '/api/v1/runs/r1/events?after=41', method: 'GET', body: undefined },
      { url: '/api/v1/runs/r1/checkpoints', method: 'GET', body: undefined },
      { url: '/api/v1/runs/r1/cancel', method: 'POST', body: {} },
      { url: '/api/v1/runs/r1/retry', method: 'POST', body: {} },
    ]);
  });
});

describe('form bodies', () => {
  it('sends an endpoint key only when typed, and null to remove it', () => {
    expect(endpointBody({ name: 'a', apiKey: '' })).toEqual({ name: 'a' });
    expect(endpointBody({ name: 'a', apiKey: 'sk-1' })).toEqual({ name: 'a', apiKey: 'sk-1' });
    expect(endpointBody({ name: 'a', apiKey: 'sk-1', removeApiKey: true, hasApiKey: true })).toEqual({ name: 'a', apiKey: null });
  });

  it('builds a training run request, leaving empty hyperparameters to the API', () => {
    const body = runBody({
      ...RUN_DEFAULTS,
      baseModel: 'm1',
      datasetId: 'd1',
      datasetVersion: 'v1',
      adapter: 'bot',
      tag: 'split:train',
      evalTag: 'split:eval',
      hyperparameters: { method: 'qlora', steps: 40, batchSize: 2, warmupSteps: null, lr: 0.001 },
    });
    expect(body).toEqual({
      kind: 'train',
      baseModel: 'm1',
      datasetVersions: ['v1'],
      adapter: 'bot',
      tag: 'split:train',
      evalTag: 'split:eval',
      evalDatasetVersion: 'v1',
      hyperparameters: { method: 'qlora', steps: 40, batchSize: 2, lr: 0.001 },
    });
    expect(runBody({ baseModel: 'm', datasetVersion: 'v', adapter: 'a' })).not.toHaveProperty('evalDatasetVersion');
  });
});

describe('run metrics', () => {
  const ev = (id: number, type: RunEvent['type'], data: Record<string, unknown>): RunEvent => ({ id: String(id), runId: 'r', at: '2026-01-01T00:00:00Z', level: 'info', type, data });
  const events = [
    ev(1, 'metrics', { step: 1, totalSteps: 4, loss: 3, lr: 1e-4, tokensPerSec: 100 }),
    ev(2, 'metrics', { step: 2, totalSteps: 4, loss: 2.5 }),
    ev(3, 'message', { message: 'resumed from checkpoint at step 1' }),
    ev(4, 'metrics', { step: 2, totalSteps: 4, loss: 2.4 }),
    ev(5, 'metrics', { step: 4, totalSteps: 4, loss: 2, eval: { loss: 2.2, tokenAccuracy: 0.5 } }),
  ];

  it('turns metrics events into train and eval loss curves (a step seen twice keeps its last value)', () => {
    expect(lossSeries(events)).toEqual({
      train: [
        { x: 1, y: 3 },
        { x: 2, y: 2.4 },
        { x: 4, y: 2 },
      ],
      eval: [{ x: 4, y: 2.2 }],
    });
    expect(describeEvent(events[0])).toBe('step 1/4 · loss 3.0000 · lr 1.00e-4 · 100 tok/s');
    expect(describeEvent(events[2])).toBe('resumed from checkpoint at step 1');
    expect(describeEvent(events[4])).toMatch(/eval loss 2.2000, token accuracy 50.0%/);
  });

  it('computes progress and polls only while a run is queued or running', () => {
    const run = (status: Run['status'], progress: Run['progress'] = {}) => ({ status, progress }) as Run;
    expect(progressFraction(run('running', { step: 10, totalSteps: 40 }))).toBe(0.25);
    expect(progressFraction(run('queued'))).toBeNull();
    expect(progressFraction(run('succeeded'))).toBe(1);
    expect(pollRunWhileActive({ state: { data: run('running') } })).toBe(RUN_POLL_MS);
    expect(pollRunWhileActive({ state: { data: run('failed') } })).toBe(false);
    expect(pollRunsWhileActive({ state: { data: { data: [run('succeeded'), run('queued')] } } })).toBe(RUN_POLL_MS);
    expect(pollRunsWhileActive({ state: { data: { data: [run('cancelled')] } } })).toBe(false);
  });
});

describe('charts and formatting', () => {
  it('picks nice ticks and maps values', () => {
    expect(niceTicks(0, 40, 6)).toEqual([0, 10, 20, 30, 40]);
    expect(niceTicks(6.19, 6.24, 4)).toEqual([6.18, 6.2, 6.22, 6.24]);
    expect(niceTicks(2, 2, 4).length).toBeGreaterThan(1);
    expect(linearScale(0, 10, 100, 0)(5)).toBe(50);
    expect(linearScale(3, 3, 0, 10)(3)).toBe(5);
    expect(formatTick(12000)).toBe('12k');
    expect(formatTick(0.0002)).toBe('2e-4');
    expect(formatTick(2.5)).toBe('2.5');
  });

  it('formats durations, previews and model shapes', () => {
    expect(formatDuration(900)).toBe('0.9s');
    expect(formatDuration(65_000)).toBe('1m 05s');
    expect(formatDuration(3_723_000)).toBe('1h 02m');
    expect(formatDuration(null)).toBe('');
    expect(elapsedMs('2026-01-01T00:00:00Z', '2026-01-01T00:01:00Z')).toBe(60_000);
    expect(elapsedMs(null, null)).toBeNull();
    expect(clip('a  b\nc', 10)).toBe('a b c');
    expect(clip('abcdefghij', 5)).toBe('abcd…');
    expect(recordPreview([{ role: 'system', content: 's' }, { role: 'user', content: 'q' }, { role: 'assistant', content: 'a1' }, { role: 'user', content: 'q2' }, { role: 'assistant', content: 'a2' }])).toEqual({ prompt: 'q', answer: 'a2', rawAnswer: 'a2' });
    expect(modelShape({ num_hidden_layers: 1, hidden_size: 32, num_attention_heads: 2, num_key_value_heads: 1, vocab_size: 512 })).toBe('1 layer · hidden 32 · 2 heads (1 kv) · vocab 512');
  });
});

describe('evaluateBody', () => {
  it('sends adapters as name@version refs, drops the form-only dataset and empty fields', () => {
    expect(evaluateBody({ baseModel: 'student', dataset: 'ds-id', datasetVersion: 'v-id', maxTokens: 64, teacher: '', adapters: [{ ref: ' pong@2 ' }, { ref: '' }, {}] })).toEqual({
      kind: 'evaluate',
      baseModel: 'student',
      datasetVersion: 'v-id',
      maxTokens: 64,
      adapters: ['pong@2'],
    });
  });
});
