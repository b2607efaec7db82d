import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import request from 'supertest';
import { extract } from 'tar-stream';
import { Readable } from 'node:stream';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { initModel, readSafetensors } from '@retort/engine';
import { startServe } from '@retort/serve';
import { startTestStack, waitFor, type TestStack } from '../../api/test/harness';

/** The adapter registry: versions with lineage from real training runs, download, comparison. */
describe('adapter registry', () => {
  let stack: TestStack;
  let modelDir: string;
  const api = () => request(stack.baseUrl);
  const op = () => `Bearer ${stack.tokens.operator}`;

  beforeAll(async () => {
    stack = await startTestStack({ worker: true });
    modelDir = fs.mkdtempSync(path.join(os.tmpdir(), 'retort-registry-model-'));
    initModel({ family: 'qwen2', config: { hidden_size: 32, num_hidden_layers: 1, num_attention_heads: 2, num_key_value_heads: 1, intermediate_size: 64 }, out: modelDir, seed: 4 });
    await api().post('/api/v1/models').set('Authorization', op()).send({ name: 'student', path: modelDir }).expect(201);
    const ds = (await api().post('/api/v1/datasets').set('Authorization', op()).send({ name: 'pings' })).body;
    const lines = Array.from({ length: 8 }, (_, i) => JSON.stringify({ messages: [{ role: 'user', content: `ping ${i}` }, { role: 'assistant', content: `pong ${i}` }] }));
    const version = (await api().post(`/api/v1/datasets/${ds.id}/versions`).set('Authorization', op()).set('Content-Type', 'application/x-ndjson').send(lines.join('\n'))).body;
    await waitFor(async () => (await api().get(`/api/v1/dataset-versions/${version.id}`).set('Authorization', op())).body.status === 'ready', 20000, 'import');
    for (const steps of [3, 6]) {
      const run = await api().post('/api/v1/runs').set('Authorization', op()).send({ kind: 'train', baseModel: 'student', datasetVersions: [version.id], adapter: 'pong', hyperparameters: { steps, batchSize: 4, maxSeqLen: 64 } });
      await waitFor(async () => (await api().get(`/api/v1/runs/${run.body.id}`).set('Authorization', op())).body.status === 'succeeded', 60000, 'training');
    }
  });
  afterAll(async () => {
    await stack.close();
    fs.rmSync(modelDir, { recursive: true, force: true });
  });

  it('lists adapters with their base model and versions with lineage', async () => {
    const list = await api().get('/api/v1/adapters').set('Authorization', `Bearer ${stack.tokens.viewer}`);
    expect(list.headers['content-range']).toBe('adapters 0-0/1');
    expect(list.body[0]).toMatchObject({ name: 'pong', baseModel: 'student', latestVersion: 2, stages: {} });
    const show = await api().get('/api/v1/adapters/pong').set('Authorization', op());
    expect(show.body.versions.map((v: { version: number }) => v.version)).toEqual([2, 1]);
    expect(show.body.versions[0].lineage).toMatchObject({ baseModel: { name: 'student' }, hyperparameters: { steps: 6 } });
    expect(show.body.versions[0].sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('downloads a version as a tar of its PEFT directory', async () => {
    const res = await api().get('/api/v1/adapters/pong/versions/2/download').set('Authorization', op()).buffer(true).parse((r, cb) => {
      const chunks: Buffer[] = [];
      r.on('data', (c: Buffer) => chunks.push(c));
      r.on('end', () => cb(null, Buffer.concat(chunks)));
    });
    expect(res.headers['content-type']).toBe('application/x-tar');
    const files = new Map<string, Buffer>();
    await new Promise<void>((resolve, reject) => {
      const x = extract();
      x.on('entry', (h, stream, next) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: unknown) => chunks.push(c as Buffer));
        stream.on('end', () => {
          files.set(h.name, Buffer.concat(chunks));
          next();
        });
      });
      x.on('finish', resolve);
      x.on('error', reject);
      Readable.from([res.body as Buffer]).pipe(x);
    });
    expect([...files.keys()].sort()).toEqual(['pong-v2/adapter_config.json', 'pong-v2/adapter_model.safetensors', 'pong-v2/retort.json']);
    expect(JSON.parse(files.get('pong-v2/adapter_config.json')!.toString())).toMatchObject({ peft_type: 'LORA', r: 8 });
    const tensors = readSafetensors(files.get('pong-v2/adapter_model.safetensors')!).tensors;
    expect([...tensors.keys()].some((k) => /^base_model\.model\.model\.layers\.0\.self_attn\.q_proj\.lora_A\.weight$/.test(k))).toBe(true);
  });

  it('compares two versions metric by metric', async () => {
    const res = await api().get('/api/v1/adapters/pong/compare?a=1&b=2').set('Authorization', op());
    const steps = res.body.metrics.find((m: { metric: string }) => m.metric === 'steps');
    expect(steps).toEqual({ metric: 'steps', a: 3, b: 6, delta: 3 });
  });

  describe('promotion to a running retort serve', () => {
    let serve: Awaited<ReturnType<typeof startServe>>;
    const admin = () => `Bearer ${stack.tokens.admin}`;
    /** What "model": "pong" answers: the logprob of the first greedy token identifies the adapter. */
    const answer = async (model: string) => {
      const res = await fetch(`${serve.url}/v1/chat/completions`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ model, messages: [{ role: 'user', content: 'ping 1' }], max_tokens: 1, temperature: 0, logprobs: true }) });
      const body = (await res.json()) as any;
      return res.ok ? body.choices[0].logprobs.content[0].logprob.toFixed(6) : `HTTP ${res.status}`;
    };

    beforeAll(async () => {
      serve = await startServe({ models: [{ name: 'student', dir: modelDir }], host: '127.0.0.1', port: 0, log: () => undefined });
      await api().post('/api/v1/endpoints').set('Authorization', admin()).send({ name: 'serve', purpose: 'serving', kind: 'retort', baseUrl: `${serve.url}/v1`, model: 'student' }).expect(201);
    });
    afterAll(() => serve.close());

    it('changes what "model": "<adapter>" answers, keeps production on failure, and rolls back', async () => {
      expect(await answer('pong')).toBe('HTTP 404');
      expect((await api().post('/api/v1/adapters/pong/promote').set('Authorization', op()).send({ version: 1 })).status).toBe(403);

      const first = await api().post('/api/v1/adapters/pong/promote').set('Authorization', admin()).send({ version: 1, stage: 'production' });
      expect(first.status).toBe(200);
      expect(first.body).toMatchObject({ stage: 'production', version: 1, previous: null, servedAs: 'pong' });
      const v1 = await answer('pong');
      expect(v1).toBe(await answer('pong-v1'));

      await api().post('/api/v1/adapters/pong/promote').set('Authorization', admin()).send({ version: 2 }).expect(200);
      const v2 = await answer('pong');
      expect(v2).not.toBe(v1);
      expect(v2).toBe(await answer('pong-v2'));

      // A version the server cannot load: production stays on v2, with the error recorded.
      const dir = path.join(stack.config.servingDir, 'pong', 'v1');
      fs.writeFileSync(path.join(dir, 'adapter_model.safetensors'), 'not safetensors');
      await fetch(`${serve.url}/v1/unload_lora_adapter`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ lora_name: 'pong-v1' }) });
      const failed = await api().post('/api/v1/adapters/pong/promote').set('Authorization', admin()).send({ version: 1 });
      expect(failed.status).toBe(502);
      expect(failed.body.detail).toMatch(/production stays on v2/);
      expect(await answer('pong')).toBe(v2);
      const show = (await api().get('/api/v1/adapters/pong').set('Authorization', op())).body;
      expect(show.stages).toEqual({ production: 2 });
      expect(show.history.map((h: { action: string }) => h.action)).toEqual(['failed', 'promote', 'promote']);
      expect(show.deployments[0]).toMatchObject({ status: 'failed', endpoint: 'serve', error: expect.any(String) });

      // Rollback goes back to the version before the last change (v1, repaired).
      fs.rmSync(dir, { recursive: true, force: true });
      const back = await api().post('/api/v1/adapters/pong/rollback').set('Authorization', admin()).send({ stage: 'production' });
      expect(back.status).toBe(200);
      expect(back.body).toMatchObject({ version: 1, previous: 2 });
      expect(await answer('pong')).toBe(v1);
      const played = await api().post('/api/v1/playground/chat').set('Authorization', `Bearer ${stack.tokens.viewer}`).send({ endpoint: 'serve', model: 'pong', messages: [{ role: 'user', content: 'ping 1' }], maxTokens: 3 });
      expect(played.status).toBe(200);
      expect(played.body).toMatchObject({ model: 'pong', content: expect.any(String), finishReason: expect.any(String) });
      const audit = (await api().get('/api/v1/audit?filter={"targetType":"adapter"}').set('Authorization', op())).body.map((a: { action: string }) => a.action);
      expect(audit).toEqual(['adapter.rollback', 'adapter.promote.failed', 'adapter.promote', 'adapter.promote']);
    });
  });

  it('is scriptable: retort adapter ls, show, export', async () => {
    const bin = path.resolve(__dirname, '../../cli/bin/retort.js');
    const env = { ...process.env, RETORT_URL: stack.baseUrl, RETORT_TOKEN: stack.tokens.admin };
    const run = async (...args: string[]) => (await promisify(execFile)(process.execPath, [bin, ...args], { env, timeout: 60000 })).stdout;
    expect(await run('adapter', 'ls')).toMatch(/^pong\s+student\s+v2\s+-\s+v1$/m);
    expect(JSON.parse(await run('--json', 'adapter', 'show', 'pong')).versions).toHaveLength(2);
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'retort-export-'));
    await run('adapter', 'export', 'pong@2', '--out', out);
    expect(fs.readdirSync(out).sort()).toEqual(['adapter_config.json', 'adapter_model.safetensors', 'retort.json']);
    fs.rmSync(out, { recursive: true, force: true });
  });
});
