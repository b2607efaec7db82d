import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import { promisify } from 'node:util';
import * as os from 'node:os';
import * as path from 'node:path';
import request from 'supertest';
import { initModel } from '@retort/engine';
import { startFakeOpenAI, type FakeOpenAIServer } from '../../../libs/teacher/test/fake-openai-server';
import { startTestStack, uploadVersion, waitFor, type TestStack } from '../../api/test/harness';

/** Distillation as one flow: teacher generation → LoRA training → evaluation, then cancel and retry. */
describe('pipeline runs', () => {
  let stack: TestStack;
  let teacher: FakeOpenAIServer;
  let modelDir: string;
  let promptsVersion: string;
  let evalVersion: string;
  const api = () => request(stack.baseUrl);
  const op = () => `Bearer ${stack.tokens.operator}`;
  const answerOf = (prompt: string) => `pong ${prompt.split(' ')[1]}`;

  const upload = (name: string, lines: object[]) => uploadVersion(stack, name, lines);

  beforeAll(async () => {
    stack = await startTestStack({ worker: true });
    modelDir = fs.mkdtempSync(path.join(os.tmpdir(), 'retort-pipeline-model-'));
    initModel({ family: 'qwen2', config: { hidden_size: 32, num_hidden_layers: 1, num_attention_heads: 2, num_key_value_heads: 1, intermediate_size: 64 }, out: modelDir, seed: 9 });
    teacher = await startFakeOpenAI({ answer: (req) => answerOf(req.prompt) });
    await api().post('/api/v1/models').set('Authorization', op()).send({ name: 'student', path: modelDir }).expect(201);
    await api().post('/api/v1/endpoints').set('Authorization', `Bearer ${stack.tokens.admin}`).send({ name: 'teacher', purpose: 'teacher', baseUrl: teacher.baseUrl, model: 'teacher', maxConcurrency: 4 }).expect(201);
    promptsVersion = await upload('prompts', Array.from({ length: 16 }, (_, i) => ({ prompt: `ping ${i}` })));
    evalVersion = await upload('held-out', Array.from({ length: 6 }, (_, i) => ({ messages: [{ role: 'user', content: `ping ${100 + i}` }, { role: 'assistant', content: answerOf(`ping ${100 + i}`) }] })));
  });
  afterAll(async () => {
    await teacher.close();
    await stack.close();
    fs.rmSync(modelDir, { recursive: true, force: true });
  });

  const pipeline = (adapter: string) =>
    api().post('/api/v1/runs').set('Authorization', op()).send({ kind: 'pipeline', teacher: 'teacher', prompts: promptsVersion, student: 'student', adapter, evalDatasetVersion: evalVersion, hyperparameters: { steps: 6, batchSize: 4, maxSeqLen: 64 }, evaluate: { maxTokens: 6 } });

  it('runs generate → train → evaluate and reports the candidate beside the base and the teacher', async () => {
    const res = await pipeline('pong');
    expect(res.status).toBe(202);
    expect(res.body.kind).toBe('pipeline');
    const done = await waitFor(async () => {
      const r = (await api().get(`/api/v1/runs/${res.body.id}`).set('Authorization', op())).body;
      return ['succeeded', 'failed'].includes(r.status) && r;
    }, 120000, 'the pipeline');
    expect(done.status).toBe('succeeded');
    const steps = (await api().get(`/api/v1/runs?filter=${encodeURIComponent(JSON.stringify({ status: 'succeeded' }))}&range=[0,99]`).set('Authorization', op())).body.filter((r: { parentId: string }) => r.parentId === res.body.id);
    expect(steps.map((r: { kind: string }) => r.kind).sort()).toEqual(['evaluate', 'generate', 'train']);
    const generate = steps.find((r: { kind: string }) => r.kind === 'generate');
    const train = steps.find((r: { kind: string }) => r.kind === 'train');
    expect(train.config.datasetVersionIds).toEqual([]); // resolved at run time from the generation run
    expect(done.progress.adapterVersionId).toBe(train.progress.adapterVersionId);
    const version = (await api().get('/api/v1/adapters/pong/versions/1').set('Authorization', op())).body;
    expect(version.lineage).toMatchObject({ baseModel: { name: 'student' }, datasetVersions: [generate.progress.outputVersionId], teacherEndpoint: { name: 'teacher' }, run: train.id, pipeline: res.body.id, codeVersion: expect.stringMatching(/^retort@0\.1\.0/) });
    expect(Object.keys(done.progress.scores)).toEqual(['base', 'candidate', 'teacher (teacher)']);
    expect(done.progress.scores['teacher (teacher)'].exact).toBe(1);
    expect(done.progress.scores.candidate.loss).toBeLessThan(done.progress.scores.base.loss);
    expect(done.progress.candidate).toBe('pong@v1');
    expect(done.progress.scores.candidate).toMatchObject({ perplexity: expect.any(Number), tokenAccuracy: expect.any(Number) });
    const synthetic = (await api().get(`/api/v1/dataset-versions/${generate.progress.outputVersionId}`).set('Authorization', op())).body;
    expect(synthetic).toMatchObject({ records: 16, lineage: { source: 'generation', runId: generate.id } });
  });

  it('cancels every step of a pipeline, and a retry finishes it', async () => {
    teacher.options.latencyMs = 600;
    const res = await pipeline('pong-cancelled');
    await waitFor(async () => (await api().get(`/api/v1/runs/${res.body.id}`).set('Authorization', op())).body.status === 'running', 20000, 'the pipeline to start');
    const cancelled = await api().post(`/api/v1/runs/${res.body.id}/cancel`).set('Authorization', op());
    expect(cancelled.body.status).toBe('cancelled');
    const children = async () => (await api().get(`/api/v1/runs?range=[0,99]`).set('Authorization', op())).body.filter((r: { parentId: string }) => r.parentId === res.body.id);
    await waitFor(async () => (await children()).every((r: { status: string }) => r.status === 'cancelled'), 20000, 'every step cancelled');

    teacher.options.latencyMs = 0;
    // While the cancelled step's job winds down the api answers 409; then the retry goes through.
    await waitFor(async () => (await api().post(`/api/v1/runs/${res.body.id}/retry`).set('Authorization', op())).status === 200, 20000, 'the retry');
    const done = await waitFor(async () => {
      const r = (await api().get(`/api/v1/runs/${res.body.id}`).set('Authorization', op())).body;
      return ['succeeded', 'failed'].includes(r.status) && r;
    }, 120000, 'the retried pipeline');
    expect(done.status).toBe('succeeded');
    expect((await children()).map((r: { status: string }) => r.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
  });

  it('runs the same from the command line: retort run distill --watch', async () => {
    const bin = path.resolve(__dirname, '../../cli/bin/retort.js');
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [bin, '--json', 'run', 'distill', '--dataset', 'prompts', '--eval-dataset', 'held-out', '--teacher', 'teacher', '--student', 'student', '--adapter', 'pong-cli', '--steps', '4', '--batch-size', '4', '--max-seq-len', '64', '--eval-max-tokens', '4', '--watch'],
      { env: { ...process.env, RETORT_URL: stack.baseUrl, RETORT_TOKEN: stack.tokens.operator }, timeout: 120000 },
    );
    const run = JSON.parse(stdout);
    expect(run).toMatchObject({ kind: 'pipeline', status: 'succeeded' });
    expect(Object.keys(run.progress.scores)).toEqual(['base', 'candidate', 'teacher (teacher)']);
  });

  it('gates candidates against production: a worse one is blocked, a better one is promoted', async () => {
    // Production: a well-trained version of "gated".
    const base = { kind: 'pipeline', teacher: 'teacher', prompts: promptsVersion, student: 'student', adapter: 'gated', evalDatasetVersion: evalVersion, evaluate: { maxTokens: 2 }, evaluateTeacher: false };
    const first = await api().post('/api/v1/runs').set('Authorization', op()).send({ ...base, hyperparameters: { steps: 30, batchSize: 4, maxSeqLen: 64, lr: 1e-3 } });
    const done1 = await waitFor(async () => { const r = (await api().get(`/api/v1/runs/${first.body.id}`).set('Authorization', op())).body; return r.status === 'succeeded' && r; }, 120000, 'pipeline 1');
    await api().post('/api/v1/adapters/gated/promote').set('Authorization', `Bearer ${stack.tokens.admin}`).send({ version: 1 }).expect(200);
    expect(done1.progress.gate.passed).toBe(true);

    const gate = { minLossImprovementPct: 1 };
    const worse = await api().post('/api/v1/runs').set('Authorization', op()).send({ ...base, hyperparameters: { steps: 1, batchSize: 4, maxSeqLen: 64, lr: 1e-4 }, gate, autoPromote: true });
    const done2 = await waitFor(async () => { const r = (await api().get(`/api/v1/runs/${worse.body.id}`).set('Authorization', op())).body; return r.status === 'succeeded' && r; }, 120000, 'pipeline 2');
    expect(Object.keys(done2.progress.scores)).toEqual(['base', 'candidate', 'production']);
    expect(done2.progress.gate.passed).toBe(false);
    expect(done2.progress.gate.reasons[0]).toMatch(/loss/);
    const v2 = (await api().get('/api/v1/adapters/gated/versions/2').set('Authorization', op())).body;
    expect(v2.gate).toMatchObject({ passed: false, productionVersionId: done1.progress.adapterVersionId });

    const better = await api().post('/api/v1/runs').set('Authorization', op()).send({ ...base, hyperparameters: { steps: 80, batchSize: 4, maxSeqLen: 64, lr: 1e-3 }, gate, autoPromote: true });
    const done3 = await waitFor(async () => { const r = (await api().get(`/api/v1/runs/${better.body.id}`).set('Authorization', op())).body; return r.status === 'succeeded' && r; }, 120000, 'pipeline 3');
    expect(done3.progress.gate.passed).toBe(true);
    // Auto-promotion runs on the api's registry queue.
    await waitFor(async () => (await api().get('/api/v1/adapters/gated').set('Authorization', op())).body.stages.production === 3, 20000, 'auto-promotion of v3');
    const history = (await api().get('/api/v1/adapters/gated').set('Authorization', op())).body.history;
    expect(history[0]).toMatchObject({ action: 'promote', actor: `auto-promote:${better.body.id}` });
  });
});
