import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import request from 'supertest';
import { initModel } from '@retort/engine';
import { startServe } from '@retort/serve';
import { startFakeOpenAI, type FakeOpenAIServer } from '../../../libs/teacher/test/fake-openai-server';
import { writeRealTokenizer } from '../../../libs/tokenizer/test/real-tokenizers';
import { startTestStack, uploadVersion, waitFor, type TestStack } from '../../api/test/harness';

/**
 * Reasoning distillation end to end: a DeepSeek-R1-style teacher answers with its reasoning in
 * `reasoning_content` or inline in `<think>…</think>`, a student with DeepSeek-R1's real tokenizer
 * and template trains on the kept reasoning, and the trained student answers through retort serve.
 */
describe('reasoning distillation with the DeepSeek-R1 template', () => {
  let stack: TestStack;
  let teacher: FakeOpenAIServer;
  let serve: Awaited<ReturnType<typeof startServe>>;
  let modelDir: string;
  const api = () => request(stack.baseUrl);
  const op = () => `Bearer ${stack.tokens.operator}`;
  const REASONING = 'A ping wants a pong.';
  const ANSWER = 'pong';

  beforeAll(async () => {
    stack = await startTestStack({ worker: true });
    modelDir = fs.mkdtempSync(path.join(os.tmpdir(), 'retort-r1-student-'));
    // vocab_size covers DeepSeek-V3's ids (up to 128814), as the real checkpoints' 129280 does.
    initModel({
      family: 'qwen2',
      config: { vocab_size: 129280, hidden_size: 64, num_hidden_layers: 1, num_attention_heads: 4, num_key_value_heads: 2, intermediate_size: 128, bos_token_id: 0, eos_token_id: 1 },
      out: modelDir,
      seed: 3,
    });
    writeRealTokenizer(modelDir, 'deepseek-r1');
    fs.writeFileSync(path.join(modelDir, 'generation_config.json'), JSON.stringify({ bos_token_id: 0, eos_token_id: 1 }));
    // Both R1 shapes, alternating: the reasoning in its own field, or inline before the answer.
    teacher = await startFakeOpenAI({
      answer: (req) => (Number(req.prompt.split(' ')[1]) % 2 ? { content: ANSWER, reasoning: REASONING } : `<think>\n${REASONING}\n</think>\n\n${ANSWER}`),
    });
    await api().post('/api/v1/models').set('Authorization', op()).send({ name: 'r1-student', path: modelDir }).expect(201);
    await api().post('/api/v1/endpoints').set('Authorization', `Bearer ${stack.tokens.admin}`).send({ name: 'r1', purpose: 'teacher', baseUrl: teacher.baseUrl, model: 'teacher' }).expect(201);
    serve = await startServe({ models: [{ name: 'r1-student', dir: modelDir }], host: '127.0.0.1', port: 0, log: () => undefined });
    await api().post('/api/v1/endpoints').set('Authorization', `Bearer ${stack.tokens.admin}`).send({ name: 'serve', purpose: 'serving', kind: 'retort', baseUrl: `${serve.url}/v1`, model: 'r1-student' }).expect(201);
  });
  afterAll(async () => {
    await serve?.close();
    await teacher?.close();
    await stack?.close();
    fs.rmSync(modelDir, { recursive: true, force: true });
  });

  it('keeps the reasoning of both shapes, trains the student, and the student answers through retort serve', async () => {
    const prompts = await uploadVersion(stack, 'pings', Array.from({ length: 8 }, (_, i) => ({ prompt: `ping ${i}` })));
    const held = await uploadVersion(stack, 'held-out-pings', [{ messages: [{ role: 'user', content: 'ping 9' }, { role: 'assistant', content: `<think>\n${REASONING}\n</think>\n\n${ANSWER}` }] }]);
    const run = await api()
      .post('/api/v1/runs')
      .set('Authorization', op())
      .send({ kind: 'pipeline', teacher: 'r1', prompts, student: 'r1-student', adapter: 'r1-pong', evalDatasetVersion: held, evaluateTeacher: false, generate: { reasoning: 'keep' }, evaluate: { maxTokens: 2 }, hyperparameters: { steps: 60, batchSize: 4, maxSeqLen: 48, lr: 2e-2, warmupSteps: 2 } })
      .expect(202);
    const done = await waitFor(async () => {
      const r = (await api().get(`/api/v1/runs/${run.body.id}`).set('Authorization', op())).body;
      return ['succeeded', 'failed'].includes(r.status) && r;
    }, 240000, 'the pipeline');
    expect(done.error ?? null).toBeNull();
    expect(done.status).toBe('succeeded');
    expect(done.progress.scores.candidate.loss).toBeLessThan(done.progress.scores.base.loss);

    // Every record holds the reasoning in one layout, whichever shape the teacher used.
    const generate = (await api().get(`/api/v1/runs?range=[0,99]`).set('Authorization', op())).body.find((r: { parentId: string; kind: string }) => r.parentId === run.body.id && r.kind === 'generate');
    const records = (await api().get(`/api/v1/dataset-versions/${generate.progress.outputVersionId}/records?range=[0,99]`).set('Authorization', op())).body;
    expect(records).toHaveLength(8);
    for (const r of records) expect(r.messages[1].content).toBe(`<think>\n${REASONING}\n</think>\n\n${ANSWER}`);

    await api().post('/api/v1/adapters/r1-pong/promote').set('Authorization', `Bearer ${stack.tokens.admin}`).send({ version: 1 }).expect(200);
    // The prompt ends with R1's `<think>\n`: the student continues inside the block and never repeats it.
    const chat = async (stream: boolean) =>
      fetch(`${serve.url}/v1/chat/completions`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ model: 'r1-pong', messages: [{ role: 'user', content: 'ping 3' }], max_tokens: 24, temperature: 0, stream }) });
    const whole = await chat(false);
    expect(whole.status).toBe(200);
    const body = (await whole.json()) as any;
    expect(body.choices[0]).toMatchObject({ message: { content: `${REASONING}\n</think>\n\n${ANSWER}` }, finish_reason: 'stop' });
    const streamed = await chat(true);
    expect(streamed.status).toBe(200);
    expect(await streamed.text()).toContain('[DONE]');
  }, 300000);
});
