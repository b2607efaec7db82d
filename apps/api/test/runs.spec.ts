import { Queue } from 'bullmq';
import request from 'supertest';
import { Redis } from 'ioredis';
import { redisOptionsFromUrl, workerKey } from '@retort/contracts';
import { startTestStack, waitFor, type TestStack } from './harness';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** Runs without a worker: validation, queueing, cancel and retry as the api sees them. */
describe('runs api', () => {
  let stack: TestStack;
  let op: string;
  let versionId: string;
  let queue: Queue;
  const modelDir = fs.mkdtempSync(path.join(os.tmpdir(), 'retort-runs-model-'));

  beforeAll(async () => {
    stack = await startTestStack({ worker: true });
    op = `Bearer ${stack.tokens.operator}`;
    const tiny = { model_type: 'llama', hidden_size: 32, intermediate_size: 64, num_hidden_layers: 1, num_attention_heads: 2, num_key_value_heads: 2, vocab_size: 272 };
    fs.writeFileSync(path.join(modelDir, 'config.json'), JSON.stringify(tiny));
    fs.mkdirSync(path.join(modelDir, 'huge'));
    fs.writeFileSync(path.join(modelDir, 'huge', 'config.json'), JSON.stringify({ ...tiny, hidden_size: 8192, intermediate_size: 28672, num_hidden_layers: 80, num_attention_heads: 64, num_key_value_heads: 8, vocab_size: 128256 }));
    await request(stack.baseUrl).post('/api/v1/models').set('Authorization', op).send({ name: 'huge', path: path.join(modelDir, 'huge') }).expect(201);
    await request(stack.baseUrl).post('/api/v1/models').set('Authorization', op).send({ name: 'student', path: modelDir }).expect(201);
    const ds = (await request(stack.baseUrl).post('/api/v1/datasets').set('Authorization', op).send({ name: 'd' })).body;
    const line = JSON.stringify({ messages: [{ role: 'user', content: 'a' }, { role: 'assistant', content: 'b' }] });
    versionId = (await request(stack.baseUrl).post(`/api/v1/datasets/${ds.id}/versions`).set('Authorization', op).set('Content-Type', 'application/x-ndjson').send(line)).body.id;
    await waitFor(async () => (await request(stack.baseUrl).get(`/api/v1/dataset-versions/${versionId}`).set('Authorization', op)).body.status === 'ready', 20000, 'import');
    // The in-process worker must not pick the runs up: pause the train queue globally.
    queue = new Queue('train', { connection: redisOptionsFromUrl(stack.config.redisUrl), prefix: stack.config.queuePrefix });
    await queue.pause();
  });
  afterAll(async () => {
    await queue.close();
    await stack.close();
    fs.rmSync(modelDir, { recursive: true, force: true });
  });

  const create = (body: object) => request(stack.baseUrl).post('/api/v1/runs').set('Authorization', op).send({ kind: 'train', baseModel: 'student', datasetVersions: [versionId], adapter: 'a', ...body });

  it('validates the request: unknown model, unknown version, bad hyperparameters', async () => {
    expect((await create({ baseModel: 'nope' })).body.errors).toEqual([{ path: 'baseModel', message: 'unknown model' }]);
    expect((await create({ datasetVersions: ['00000000-0000-4000-8000-000000000000'] })).body.errors).toEqual([{ path: 'datasetVersions.0', message: 'unknown dataset version' }]);
    const bad = await create({ hyperparameters: { steps: 0, method: 'dora' } });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['hyperparameters.method', 'hyperparameters.steps']);
  });

  it('queues a run with one deterministic job, cancels it, and retries it', async () => {
    const res = await create({ hyperparameters: { steps: 5 } });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ kind: 'train', status: 'queued', config: { adapterName: 'a', hyperparameters: { steps: 5, method: 'lora', rank: 8 } } });
    const job = await queue.getJob(`run-train-${res.body.id}`);
    expect(job?.data).toEqual({ runId: res.body.id });

    const cancelled = await request(stack.baseUrl).post(`/api/v1/runs/${res.body.id}/cancel`).set('Authorization', op);
    expect(cancelled.body.status).toBe('cancelled');
    expect(await queue.getJob(`run-train-${res.body.id}`)).toBeUndefined();
    expect((await request(stack.baseUrl).post(`/api/v1/runs/${res.body.id}/cancel`).set('Authorization', op)).status).toBe(409);

    const retried = await request(stack.baseUrl).post(`/api/v1/runs/${res.body.id}/retry`).set('Authorization', op);
    expect(retried.body.status).toBe('queued');
    expect(await queue.getJob(`run-train-${res.body.id}`)).toBeDefined();

    const list = await request(stack.baseUrl).get(`/api/v1/runs?filter=${encodeURIComponent('{"status":"queued"}')}`).set('Authorization', `Bearer ${stack.tokens.viewer}`);
    expect(list.headers['content-range']).toBe('runs 0-0/1');
    const audit = await request(stack.baseUrl).get('/api/v1/audit?filter={"targetType":"run"}').set('Authorization', op);
    expect(audit.body.map((a: { action: string }) => a.action)).toEqual(['run.retry', 'run.cancel', 'run.create']);
  });

  it('refuses a run that no registered worker pool can hold, naming the need and the largest pool', async () => {
    const workers = await request(stack.baseUrl).get('/api/v1/workers').set('Authorization', op);
    expect(workers.body.trainPools).toEqual([expect.objectContaining({ backend: 'wasm', workers: 1 })]);
    const res = await create({ baseModel: 'huge', hyperparameters: { method: 'qlora', maxSeqLen: 2048, batchSize: 4 } });
    expect(res.status).toBe(422);
    expect(res.body.type).toMatch(/insufficient-memory$/);
    expect(res.body.detail).toMatch(/^this run needs about [\d.]+ [GT]iB \(qlora, seq 2048, batch 4\); the largest worker pool, wasm(-host)?-\d+GiB, holds [\d.]+ GiB$/);
    expect((await create({ baseModel: 'student' })).status).toBe(202);
  });

  it("refuses a run whose largest tensor is more than a webgpu pool's storage-binding limit, before it is queued", async () => {
    const redis = new Redis(redisOptionsFromUrl(stack.config.redisUrl));
    const declare = (name: string, maxBindingBytes: number) =>
      redis.set(workerKey(stack.config.queuePrefix, name), JSON.stringify({ name, backend: 'webgpu', memoryBytes: 80 * 2 ** 30, maxBindingBytes, queues: ['train'], startedAt: new Date().toISOString() }), 'EX', 60);
    try {
      await declare('gpu-a', 4 * 2 ** 20);
      const hp = { method: 'qlora', maxSeqLen: 256, batchSize: 1, gradientCheckpointing: true };
      const refused = await create({ baseModel: 'huge', hyperparameters: hp });
      expect(refused.status).toBe(422);
      expect(refused.body.type).toMatch(/tensor-too-large$/);
      expect(refused.body.detail).toMatch(/^this run cannot run on worker pool webgpu-80GiB: its largest tensor, the hidden states \[256, 8192\] \(8\.0 MiB float32\), is more than the webgpu adapter's maxStorageBufferBindingSize of 4\.0 MiB .*try a smaller --batch-size or --max-seq-len$/);
      await redis.del(workerKey(stack.config.queuePrefix, 'gpu-a'));
      // 2 GiB holds the hidden states; the weights (the 3.9 GiB embedding, the 896 MiB MLP projections) the engine holds as blocks of rows
      await declare('gpu-b', 2 * 2 ** 30);
      expect((await create({ baseModel: 'huge', hyperparameters: hp })).status).toBe(202);
    } finally {
      await redis.del(workerKey(stack.config.queuePrefix, 'gpu-a'), workerKey(stack.config.queuePrefix, 'gpu-b'));
      redis.disconnect();
    }
  });
  it('refuses a run whose part outside the frozen weights exceeds the 4 GiB heap of a wasm pool that holds its weights on the host', async () => {
    const redis = new Redis(redisOptionsFromUrl(stack.config.redisUrl));
    const declare = (name: string, info: object) => redis.set(workerKey(stack.config.queuePrefix, name), JSON.stringify({ name, queues: ['train'], startedAt: new Date().toISOString(), ...info }), 'EX', 60);
    try {
      await declare('host-a', { backend: 'wasm', memoryBytes: 64 * 2 ** 30, weightsOnHost: true });
      const hp = { method: 'qlora', maxSeqLen: 256, batchSize: 1, gradientCheckpointing: true };
      const refused = await create({ baseModel: 'huge', hyperparameters: hp });
      expect(refused.status).toBe(422);
      expect(refused.body.type).toMatch(/insufficient-memory$/);
      // 45 GiB in all, 41 GiB of it frozen weights: 64 GiB of host memory holds it, 4 GiB of heap not the rest.
      expect(refused.body.detail).toMatch(/^this run needs about 4\d\.\d GiB \(qlora, seq 256, batch 1\); the largest worker pool, wasm-host-64GiB, holds 64\.0 GiB, of which its wasm heap 4\.0 GiB: this run needs 4\.\d GiB there besides 40\.\d GiB of frozen weights in host memory$/);
      await declare('gpu-a', { backend: 'webgpu', memoryBytes: 80 * 2 ** 30, maxBindingBytes: 8 * 2 ** 30 });
      expect((await create({ baseModel: 'huge', hyperparameters: hp })).status).toBe(202);
    } finally {
      await redis.del(workerKey(stack.config.queuePrefix, 'host-a'), workerKey(stack.config.queuePrefix, 'gpu-a'));
      redis.disconnect();
    }
  });
});
