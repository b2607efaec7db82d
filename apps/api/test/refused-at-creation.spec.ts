import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import request from 'supertest';
import { startFakeOpenAI, type FakeOpenAIServer } from '../../../libs/teacher/test/fake-openai-server';
import { startTestStack, uploadVersion, type TestStack } from './harness';

/** Requests that could only fail on a worker are refused when they are made, naming the field. */
describe('requests refused at creation', () => {
  let stack: TestStack;
  let teacher: FakeOpenAIServer;
  let prompts: string;
  let answered: string;
  const modelDir = fs.mkdtempSync(path.join(os.tmpdir(), 'retort-refused-'));
  const api = () => request(stack.baseUrl);
  const op = () => `Bearer ${stack.tokens.operator}`;
  const create = (body: object) => api().post('/api/v1/runs').set('Authorization', op()).send(body);

  beforeAll(async () => {
    stack = await startTestStack({ worker: true });
    teacher = await startFakeOpenAI({ maxModelLen: 512 });
    fs.writeFileSync(path.join(modelDir, 'config.json'), JSON.stringify({ model_type: 'llama', hidden_size: 32, intermediate_size: 64, num_hidden_layers: 1, num_attention_heads: 2, num_key_value_heads: 2, vocab_size: 272 }));
    await api().post('/api/v1/models').set('Authorization', op()).send({ name: 'student', path: modelDir }).expect(201);
    await api().post('/api/v1/endpoints').set('Authorization', `Bearer ${stack.tokens.admin}`).send({ name: 'teacher', purpose: 'teacher', baseUrl: teacher.baseUrl, model: 'teacher' }).expect(201);
    prompts = await uploadVersion(stack, 'prompts', [{ prompt: 'where is my parcel?' }, { prompt: 'cancel it' }]);
    answered = await uploadVersion(stack, 'answered', [{ messages: [{ role: 'user', content: 'hi' }, { role: 'assistant', content: 'hello' }], tags: ['split:train'] }]);
  });
  afterAll(async () => {
    await teacher.close();
    await stack.close();
    fs.rmSync(modelDir, { recursive: true, force: true });
  });

  it('refuses training on a prompts-only set and on a tag no record carries', async () => {
    const promptsOnly = await create({ kind: 'train', baseModel: 'student', datasetVersions: [answered, prompts], adapter: 'a' });
    expect(promptsOnly.status).toBe(400);
    expect(promptsOnly.body.errors).toEqual([{ path: 'datasetVersions.1', message: expect.stringContaining('has prompts only') }]);
    const noTag = await create({ kind: 'train', baseModel: 'student', datasetVersions: [answered], tag: 'split:nothing', adapter: 'a' });
    expect(noTag.status).toBe(400);
    expect(noTag.body.errors).toEqual([{ path: 'tag', message: 'no record of this version carries the tag "split:nothing"' }]);
    const evalTag = await create({ kind: 'train', baseModel: 'student', datasetVersions: [answered], tag: 'split:train', evalDatasetVersion: answered, evalTag: 'split:eval', adapter: 'a' });
    expect(evalTag.body.errors).toEqual([{ path: 'evalTag', message: 'no record of this version carries the tag "split:eval"' }]);
    const fine = await create({ kind: 'train', baseModel: 'student', datasetVersions: [answered], tag: 'split:train', adapter: 'a', hyperparameters: { steps: 1, batchSize: 1, maxSeqLen: 32 } });
    expect(fine.status).toBe(202);
  });

  it('refuses a regular expression that does not compile', async () => {
    const gen = await create({ kind: 'generate', teacher: 'teacher', datasetVersion: prompts, outputDataset: 'out', maxTokens: 16, filters: { regex: '(unclosed' } });
    expect(gen.status).toBe(400);
    expect(gen.body.errors).toEqual([{ path: 'filters.regex', message: expect.stringMatching(/^not a valid regular expression: /) }]);
    const evaluate = await create({ kind: 'evaluate', baseModel: 'student', datasetVersion: answered, regex: '/[a-/i' });
    expect(evaluate.body.errors).toEqual([{ path: 'regex', message: expect.stringMatching(/^not a valid regular expression: /) }]);
  });

  it("refuses maxTokens the teacher's reported context cannot hold", async () => {
    const gen = await create({ kind: 'generate', teacher: 'teacher', datasetVersion: prompts, outputDataset: 'out', maxTokens: 512 });
    expect(gen.status).toBe(400);
    expect(gen.body.errors).toEqual([{ path: 'maxTokens', message: "must be less than the teacher's context of 512 tokens" }]);
    const pipeline = await create({ kind: 'pipeline', teacher: 'teacher', prompts, student: 'student', adapter: 'p', evalDatasetVersion: answered, generate: { maxTokens: 4096 } });
    expect(pipeline.body.errors).toEqual([{ path: 'generate.maxTokens', message: "must be less than the teacher's context of 512 tokens" }]);
    expect((await create({ kind: 'generate', teacher: 'teacher', datasetVersion: prompts, outputDataset: 'out', maxTokens: 64 })).status).toBe(202);
  });

  it("chooses maxTokens from the teacher's context when the run does not set it", async () => {
    const gen = await create({ kind: 'generate', teacher: 'teacher', datasetVersion: prompts, outputDataset: 'out' });
    expect(gen.status).toBe(202);
    expect(gen.body.config.maxTokens).toBe(256);
    const pipeline = await create({ kind: 'pipeline', teacher: 'teacher', prompts, student: 'student', adapter: 'p', evalDatasetVersion: answered, hyperparameters: { steps: 1, batchSize: 1, maxSeqLen: 32 } });
    expect(pipeline.status).toBe(202);
    const steps = (await api().get('/api/v1/runs').query({ filter: JSON.stringify({ parentId: pipeline.body.id }) }).set('Authorization', op())).body;
    expect(steps.find((r: { kind: string }) => r.kind === 'generate').config.maxTokens).toBe(256);
  });

  it('refuses a cron without five or six fields and a schedule naming what does not exist', async () => {
    const template = { dataset: 'prompts', evalDataset: 'answered', teacher: 'teacher', student: 'student', adapter: 'monthly' };
    const threeFields = await api().post('/api/v1/schedules').set('Authorization', op()).send({ name: 's', cron: '0 3 1', template });
    expect(threeFields.status).toBe(400);
    expect(threeFields.body.errors).toEqual([{ path: 'cron', message: expect.stringContaining('expected 5 fields') }]);
    const unknown = await api()
      .post('/api/v1/schedules')
      .set('Authorization', op())
      .send({ name: 's', template: { ...template, dataset: 'nope', student: 'nobody', teacher: 'nothing' } });
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors.map((e: { path: string }) => e.path)).toEqual(['template.teacher', 'template.student', 'template.dataset']);
    const created = await api().post('/api/v1/schedules').set('Authorization', op()).send({ name: 's', template, enabled: false });
    expect(created.status).toBe(201);
    const update = await api().patch('/api/v1/schedules/s').set('Authorization', op()).send({ template: { ...template, evalDataset: 'gone' } });
    expect(update.body.errors).toEqual([{ path: 'template.evalDataset', message: 'no data set "gone"' }]);
  });
});
