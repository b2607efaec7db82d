import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import request from 'supertest';
import { initModel } from '@retort/engine';
import { startFakeOpenAI, type FakeOpenAIServer } from '../../../libs/teacher/test/fake-openai-server';
import { startTestStack, uploadVersion, waitFor, type TestStack } from '../../api/test/harness';
import { parseExposition, sampleValue } from './prometheus-text';

/** The worker's own metrics port, scraped after a small generation and a small training run. */
describe('worker metrics', () => {
  let stack: TestStack;
  let teacher: FakeOpenAIServer;
  let modelDir: string;
  let metricsUrl: string;
  const api = () => request(stack.baseUrl);
  const finished = (id: string) =>
    waitFor(async () => {
      const r = (await api().get(`/api/v1/runs/${id}`).set('Authorization', `Bearer ${stack.tokens.operator}`)).body;
      return ['succeeded', 'failed', 'cancelled'].includes(r.status) && r;
    }, 120000, `run ${id}`);

  beforeAll(async () => {
    stack = await startTestStack({ worker: true, env: { RETORT_SECRET_KEY: 'test-secret-key-0123456789', RETORT_METRICS_PORT: '0' } });
    metricsUrl = `http://127.0.0.1:${(stack.worker as { metricsPort?: number }).metricsPort}`;
    // The first two requests fail (rate limited, then unavailable); the client retries them.
    teacher = await startFakeOpenAI({ respond: (r) => (r.index === 0 ? { status: 429, headers: { 'retry-after': '0' } } : r.index === 1 ? { status: 503 } : undefined) });
    modelDir = fs.mkdtempSync(path.join(os.tmpdir(), 'retort-metrics-model-'));
    initModel({ family: 'qwen2', config: { hidden_size: 32, num_hidden_layers: 1, num_attention_heads: 2, num_key_value_heads: 1, intermediate_size: 64 }, out: modelDir, seed: 5 });
  });
  afterAll(async () => {
    await teacher.close();
    await stack.close();
    fs.rmSync(modelDir, { recursive: true, force: true });
  });

  it('exposes training, checkpoint, job and teacher metrics labelled by worker, queue, kind and backend', async () => {
    const op = `Bearer ${stack.tokens.operator}`;
    await api().post('/api/v1/endpoints').set('Authorization', `Bearer ${stack.tokens.admin}`).send({ name: 'teacher', purpose: 'teacher', baseUrl: teacher.baseUrl, model: 'teacher', maxConcurrency: 1 }).expect(201);
    const ds = (await api().post('/api/v1/datasets').set('Authorization', op).send({ name: 'prompts' })).body;
    const lines = ['one', 'two', 'three'].map((prompt) => JSON.stringify({ prompt })).join('\n');
    const prompts = (await api().post(`/api/v1/datasets/${ds.id}/versions?purpose=prompts`).set('Authorization', op).set('Content-Type', 'application/x-ndjson').send(lines)).body.id;
    await waitFor(async () => (await api().get(`/api/v1/dataset-versions/${prompts}`).set('Authorization', op)).body.status === 'ready', 20000, 'import of the prompts');
    const gen = await api().post('/api/v1/runs').set('Authorization', op).send({ kind: 'generate', teacher: 'teacher', datasetVersion: prompts, outputDataset: 'answers', maxTokens: 8 }).expect(202);
    expect((await finished(gen.body.id)).status).toBe('succeeded');

    await api().post('/api/v1/models').set('Authorization', op).send({ name: 'student', path: modelDir }).expect(201);
    const data = await uploadVersion(stack, 'pairs', Array.from({ length: 8 }, (_, i) => ({ messages: [{ role: 'user', content: `ping ${i}` }, { role: 'assistant', content: `pong ${i}` }] })));
    const train = await api()
      .post('/api/v1/runs')
      .set('Authorization', op)
      .send({ kind: 'train', baseModel: 'student', datasetVersions: [data], adapter: 'pong', hyperparameters: { steps: 6, batchSize: 2, saveEvery: 3, lr: 1e-3, warmupSteps: 1, maxSeqLen: 32 } })
      .expect(202);
    expect((await finished(train.body.id)).status).toBe('succeeded');

    const trainJob = { queue: 'train', kind: 'train', backend: 'wasm' };
    // The run's row says succeeded a moment before the worker's attempt returns and is timed.
    const samples = await waitFor(async () => {
      const res = await fetch(`${metricsUrl}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
      const scraped = parseExposition(await res.text());
      return sampleValue(scraped, 'retort_worker_job_run_seconds_count', { ...trainJob, outcome: 'succeeded' }) !== undefined && scraped;
    }, 10000, 'the train attempt timed');
    expect(samples.every((s) => /^[^:]+:\d+$/.test(s.labels.worker))).toBe(true);
    expect(sampleValue(samples, 'retort_worker_train_step_seconds_count', trainJob)).toBe(6);
    expect(sampleValue(samples, 'retort_worker_train_tokens_total', trainJob)).toBeGreaterThan(0);
    // Steps 3 and 6 (the last).
    expect(sampleValue(samples, 'retort_worker_checkpoints_total', trainJob)).toBe(2);
    expect(sampleValue(samples, 'retort_worker_job_run_seconds_count', { ...trainJob, outcome: 'succeeded' })).toBe(1);
    expect(sampleValue(samples, 'retort_worker_job_wait_seconds_count', trainJob)).toBe(1);
    expect(sampleValue(samples, 'retort_worker_takeovers_total', trainJob)).toBeUndefined();
    // The running job's gauges are gone once it finished.
    expect(sampleValue(samples, 'retort_worker_train_loss', trainJob)).toBeUndefined();
    expect(sampleValue(samples, 'retort_worker_device_memory_bytes', { backend: 'wasm' })).toBeGreaterThan(0);

    const genJob = { queue: 'generate', kind: 'generate' };
    expect(sampleValue(samples, 'retort_teacher_requests_total', { ...genJob, outcome: '429' })).toBe(1);
    expect(sampleValue(samples, 'retort_teacher_requests_total', { ...genJob, outcome: '503' })).toBe(1);
    expect(sampleValue(samples, 'retort_teacher_requests_total', { ...genJob, outcome: 'ok' })).toBe(3);
    expect(sampleValue(samples, 'retort_teacher_tokens_total', { ...genJob, type: 'completion' })).toBeGreaterThan(0);
    expect(sampleValue(samples, 'retort_worker_job_run_seconds_count', { ...genJob, outcome: 'succeeded' })).toBe(1);
    expect(sampleValue(samples, 'retort_worker_job_run_seconds_count', { queue: 'datasets', kind: 'dataset.import', outcome: 'succeeded' })).toBeGreaterThanOrEqual(3);

    expect((await fetch(`${metricsUrl}/healthz`)).status).toBe(200);
    expect((await fetch(`${metricsUrl}/api/v1/runs`)).status).toBe(404);
  }, 240000);
});
