import * as path from 'node:path';
import request from 'supertest';
import { startServe } from '@retort/serve';
import { startFakeOpenAI, type FakeOpenAIServer } from '../../../libs/teacher/test/fake-openai-server';
import { startTestStack, uploadVersion, waitFor, type TestStack } from '../../api/test/harness';

/**
 * Distillation with the teacher's logprobs: token-level KD when the teacher's tokens are the
 * student's (a `retort serve` teacher with the same tokenizer), sequence-level when they are not.
 */
describe('token-level KD in a pipeline', () => {
  let stack: TestStack;
  let serve: Awaited<ReturnType<typeof startServe>>;
  let other: FakeOpenAIServer;
  // The demo teacher and student: small models this project makes, with one byte-level tokenizer.
  const demo = path.resolve(__dirname, '../../../datasets/demo-models');
  let prompts: string;
  let held: string;
  const api = () => request(stack.baseUrl);
  const op = () => `Bearer ${stack.tokens.operator}`;

  const upload = (name: string, lines: object[]) => uploadVersion(stack, name, lines);

  beforeAll(async () => {
    stack = await startTestStack({ worker: true });
    serve = await startServe({ models: [{ name: 'demo-teacher', dir: path.join(demo, 'demo-teacher') }], host: '127.0.0.1', port: 0, log: () => undefined });
    other = await startFakeOpenAI({ answer: (req) => `pong ${req.prompt.split(' ')[1]}` });
    const admin = `Bearer ${stack.tokens.admin}`;
    await api().post('/api/v1/models').set('Authorization', op()).send({ name: 'student', path: path.join(demo, 'demo-student') }).expect(201);
    await api().post('/api/v1/endpoints').set('Authorization', admin).send({ name: 'same-vocab', purpose: 'teacher', kind: 'retort', baseUrl: `${serve.url}/v1`, model: 'demo-teacher' }).expect(201);
    await api().post('/api/v1/endpoints').set('Authorization', admin).send({ name: 'other-vocab', purpose: 'teacher', baseUrl: other.baseUrl, model: 'teacher' }).expect(201);
    prompts = await upload('kd-prompts', Array.from({ length: 8 }, (_, i) => ({ prompt: i % 2 ? `Please cancel order #${134795 + i}, I don't need it anymore.` : `Where is my parcel ${556677 + i}?` })));
    held = await upload('kd-held-out', Array.from({ length: 4 }, (_, i) => ({ messages: [{ role: 'user', content: `ping ${50 + i}` }, { role: 'assistant', content: `pong ${50 + i}` }] })));
  });
  afterAll(async () => {
    await other.close();
    await serve.close();
    await stack.close();
  });

  async function distill(teacher: string, adapter: string) {
    const res = await api().post('/api/v1/runs').set('Authorization', op()).send({
      kind: 'pipeline', teacher, prompts, student: 'student', adapter, evalDatasetVersion: held,
      generate: { logprobs: 5, maxTokens: 48, temperature: 0, seed: 1 },
      hyperparameters: { steps: 3, batchSize: 4, maxSeqLen: 96, kdAlpha: 0.7 }, evaluate: { maxTokens: 4 }, evaluateTeacher: false,
    });
    expect(res.status).toBe(202);
    const done = await waitFor(async () => { const r = (await api().get(`/api/v1/runs/${res.body.id}`).set('Authorization', op())).body; return ['succeeded', 'failed'].includes(r.status) && r; }, 120000, 'the pipeline');
    expect(done).toMatchObject({ status: 'succeeded', error: null });
    const train = (await api().get(`/api/v1/runs/${done.config.steps.train}`).set('Authorization', op())).body;
    const events = (await api().get(`/api/v1/runs/${train.id}/events`).set('Authorization', op())).body as { data: { message?: string } }[];
    return { train, messages: events.map((e) => e.data.message).filter(Boolean) as string[] };
  }

  it('distils token by token from a teacher that shares the student tokenizer', async () => {
    const { train, messages } = await distill('same-vocab', 'kd-same');
    expect(train.progress.kd.records).toBeGreaterThan(0);
    expect(train.progress.kd.aligned).toBe(train.progress.kd.records);
    expect(messages).toContain(`token-level KD on all ${train.progress.kd.records} records with teacher logprobs`);
    expect(Number.isFinite(train.progress.finalLoss)).toBe(true);
  });

  it('falls back to sequence-level KD when the teacher tokenizes differently, and says so', async () => {
    const { train, messages } = await distill('other-vocab', 'kd-other');
    expect(train.progress.kd).toEqual({ records: 8, aligned: 0 });
    expect(messages.find((m) => m.startsWith('token-level KD on 0 of 8 records'))).toMatch(/sequence-level for the 8/);
  });
});
