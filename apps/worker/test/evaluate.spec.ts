import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { initModel } from '@retort/engine';
import { startFakeOpenAI, type FakeOpenAIServer } from '../../../libs/teacher/test/fake-openai-server';
import { startTestStack, waitFor, type TestStack } from '../../api/test/harness';

/** An evaluation report: base model, a trained adapter and the teacher, side by side. */
describe('evaluation runs', () => {
  let stack: TestStack;
  let teacher: FakeOpenAIServer;
  let modelDir: string;
  const api = () => request(stack.baseUrl);
  const answerOf = (prompt: string) => `pong ${prompt.split(' ')[1]}`;

  beforeAll(async () => {
    stack = await startTestStack({ worker: true });
    modelDir = fs.mkdtempSync(path.join(os.tmpdir(), 'retort-eval-model-'));
    initModel({ family: 'qwen2', config: { hidden_size: 32, num_hidden_layers: 1, num_attention_heads: 2, num_key_value_heads: 1, intermediate_size: 64 }, out: modelDir, seed: 5 });
    teacher = await startFakeOpenAI({ answer: (req) => answerOf(req.prompt) });
  });
  afterAll(async () => {
    await teacher.close();
    await stack.close();
    fs.rmSync(modelDir, { recursive: true, force: true });
  });

  it('scores the base, the candidate adapter and the teacher on the held-out set', async () => {
    const op = `Bearer ${stack.tokens.operator}`;
    await api().post('/api/v1/models').set('Authorization', op).send({ name: 'student', path: modelDir }).expect(201);
    await api().post('/api/v1/endpoints').set('Authorization', `Bearer ${stack.tokens.admin}`).send({ name: 'teacher', purpose: 'teacher', baseUrl: teacher.baseUrl, model: 'teacher' }).expect(201);
    const ds = (await api().post('/api/v1/datasets').set('Authorization', op).send({ name: 'pings' })).body;
    const lines = Array.from({ length: 12 }, (_, i) => JSON.stringify({ messages: [{ role: 'user', content: `ping ${i}` }, { role: 'assistant', content: answerOf(`ping ${i}`) }] }));
    const version = (await api().post(`/api/v1/datasets/${ds.id}/versions`).set('Authorization', op).set('Content-Type', 'application/x-ndjson').send(lines.join('\n'))).body;
    await waitFor(async () => (await api().get(`/api/v1/dataset-versions/${version.id}`).set('Authorization', op)).body.status === 'ready', 20000, 'import');
    const train = await api().post('/api/v1/runs').set('Authorization', op).send({ kind: 'train', baseModel: 'student', datasetVersions: [version.id], adapter: 'pong', hyperparameters: { steps: 5, batchSize: 4, maxSeqLen: 64 } });
    await waitFor(async () => (await api().get(`/api/v1/runs/${train.body.id}`).set('Authorization', op)).body.status === 'succeeded', 60000, 'training');

    const run = await api().post('/api/v1/runs').set('Authorization', op).send({ kind: 'evaluate', baseModel: 'student', datasetVersion: version.id, adapters: ['pong@1'], teacher: 'teacher', maxTokens: 8, regex: '^pong' });
    expect(run.status).toBe(202);
    const done = await waitFor(async () => {
      const r = (await api().get(`/api/v1/runs/${run.body.id}`).set('Authorization', op)).body;
      return ['succeeded', 'failed'].includes(r.status) && r;
    }, 60000, 'evaluation');
    expect(done.status).toBe('succeeded');
    const { subjects, n } = done.progress.report;
    expect(n).toBe(12);
    expect(subjects.map((s: { label: string; kind: string }) => [s.label, s.kind])).toEqual([['base', 'base'], ['pong v1', 'adapter'], ['teacher (teacher)', 'teacher']]);
    for (const s of subjects.slice(0, 2)) {
      expect(s.loss).toBeGreaterThan(0);
      expect(s.perplexity).toBeCloseTo(Math.exp(s.loss), 3);
      expect(s.tokenAccuracy).toBeGreaterThanOrEqual(0);
    }
    // Training lowers the held-out loss below the base's; the teacher answers every reference exactly.
    expect(subjects[1].loss).toBeLessThan(subjects[0].loss);
    expect(subjects[2].scores).toEqual({ exact: 1, contains: 1, rougeL: 1, jsonValid: 0, regex: 1 });
    expect(subjects[0].samples[0]).toEqual({ prompt: 'ping 0', reference: 'pong 0', answer: expect.any(String) });

    const [av] = await stack.app.get(DataSource).query(`SELECT metrics FROM adapter_version WHERE run_id = $1`, [train.body.id]);
    expect(av.metrics.evaluation).toMatchObject({ runId: run.body.id, label: 'pong v1', loss: subjects[1].loss });
  });
});
