import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import request from 'supertest';
import { byteLevelTokenizer } from '@retort/tokenizer';
import { startTestStack, waitFor, type TestStack } from './harness';

/** A model directory with a byte-level tokenizer: one token per UTF-8 byte, so counts are exact. */
function byteLevelModelDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'retort-model-'));
  const files = byteLevelTokenizer();
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ model_type: 'qwen2', hidden_size: 64, num_hidden_layers: 2, vocab_size: 272 }));
  fs.writeFileSync(path.join(dir, 'tokenizer.json'), JSON.stringify(files.tokenizerJson));
  fs.writeFileSync(path.join(dir, 'tokenizer_config.json'), JSON.stringify(files.tokenizerConfig));
  return dir;
}

describe('base models and token counts with their tokenizer', () => {
  let stack: TestStack;
  let op: string;
  let modelDir: string;
  beforeAll(async () => {
    stack = await startTestStack({ worker: true });
    op = `Bearer ${stack.tokens.operator}`;
    modelDir = byteLevelModelDir();
  });
  afterAll(async () => {
    await stack.close();
    fs.rmSync(modelDir, { recursive: true, force: true });
  });

  it('registers a model directory, and refuses what is not one', async () => {
    const ok = await request(stack.baseUrl).post('/api/v1/models').set('Authorization', op).send({ name: 'student', path: modelDir });
    expect(ok.status).toBe(201);
    expect(ok.body).toMatchObject({ name: 'student', family: 'qwen2', hasTokenizer: true, config: { hidden_size: 64 } });
    const missing = await request(stack.baseUrl).post('/api/v1/models').set('Authorization', op).send({ name: 'x', path: '/nonexistent/dir' });
    expect(missing.status).toBe(400);
    expect(missing.body.errors).toEqual([{ path: 'path', message: 'not a directory on the api host' }]);
    const list = await request(stack.baseUrl).get('/api/v1/models').set('Authorization', `Bearer ${stack.tokens.viewer}`);
    expect(list.headers['content-range']).toBe('models 0-0/1');
  });

  it('counts tokens with the model tokenizer for the maxTokens rule and the version stats', async () => {
    const ds = (await request(stack.baseUrl).post('/api/v1/datasets').set('Authorization', op).send({ name: 'tok' })).body;
    const rec = (u: string, a: string) => JSON.stringify({ messages: [{ role: 'user', content: u }, { role: 'assistant', content: a }] });
    // 'héllo' is 6 bytes, so 6 tokens with a byte-level tokenizer (the chars/4 estimate would say 2).
    const tooLong = await request(stack.baseUrl)
      .post(`/api/v1/datasets/${ds.id}/versions?model=student&maxTokens=10`)
      .set('Authorization', op)
      .set('Content-Type', 'application/x-ndjson')
      .send(rec('héllo', 'wörld'));
    expect(tooLong.status).toBe(422);
    expect(tooLong.body.errors[0].message).toBe("the record has 12 tokens, over the limit of 10 (counted with the base model's tokenizer)");

    const res = await request(stack.baseUrl)
      .post(`/api/v1/datasets/${ds.id}/versions?model=student&maxTokens=12`)
      .set('Authorization', op)
      .set('Content-Type', 'application/x-ndjson')
      .send([rec('héllo', 'wörld'), rec('a', 'bc')].join('\n'));
    expect(res.status).toBe(201);
    const ready = await waitFor(async () => {
      const v = (await request(stack.baseUrl).get(`/api/v1/dataset-versions/${res.body.id}`).set('Authorization', op)).body;
      return v.status === 'ready' && v;
    }, 20000, 'import');
    expect(ready.stats.tokens).toMatchObject({ min: 3, max: 12, total: 15 });
    const records = await request(stack.baseUrl).get(`/api/v1/dataset-versions/${res.body.id}/records`).set('Authorization', op);
    expect(records.body.map((r: { tokenCount: number }) => r.tokenCount)).toEqual([12, 3]);

    const unknown = await request(stack.baseUrl).post(`/api/v1/datasets/${ds.id}/versions?model=nope`).set('Authorization', op).set('Content-Type', 'application/x-ndjson').send(rec('a', 'b'));
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors[0].path).toBe('model');
  });
});
