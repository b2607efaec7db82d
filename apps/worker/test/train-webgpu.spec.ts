import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import request from 'supertest';
import { initModel } from '@retort/engine';
import { startTestStack, waitFor, type TestStack } from '../../api/test/harness';
import { spawnWorker, type WorkerProcess } from './spawn-worker';

/** Why Dawn has no adapter here, or undefined (asked in a child: jest collects tests synchronously). */
function webgpuMissing(): string | undefined {
  const probe = "require('@retort/engine').probeWebGpu().then((r) => { console.log(JSON.stringify(r)); process.exit(0); })";
  try {
    const out = execFileSync(process.execPath, ['-r', '@swc-node/register', '-e', probe], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 60_000 });
    return (JSON.parse(out.trim().split('\n').pop()!) as { why?: string }).why;
  } catch (err) {
    return `the probe failed: ${(err as Error).message.split('\n')[0]}`;
  }
}

const missing = webgpuMissing();
// CI (.ci/run) installs lavapipe and sets RETORT_REQUIRE_WEBGPU=1: there, no adapter is a failure.
const required = process.env.RETORT_REQUIRE_WEBGPU === '1';
if (missing && !required) process.stderr.write(`[retort] webgpu worker test skipped: ${missing}\n`);

(missing && !required ? describe.skip : describe)('a training run on a webgpu worker', () => {
  let stack: TestStack;
  let modelDir: string;
  let worker: WorkerProcess | undefined;

  beforeAll(async () => {
    if (missing) throw new Error(`RETORT_REQUIRE_WEBGPU=1 but there is no WebGPU adapter: ${missing}`);
    stack = await startTestStack();
    modelDir = fs.mkdtempSync(path.join(os.tmpdir(), 'retort-student-'));
    initModel({ family: 'qwen2', config: { hidden_size: 32, num_hidden_layers: 1, num_attention_heads: 2, num_key_value_heads: 1, intermediate_size: 64 }, out: modelDir, seed: 3 });
  });
  afterAll(async () => {
    worker?.kill('SIGKILL');
    await stack?.close();
    if (modelDir) fs.rmSync(modelDir, { recursive: true, force: true });
  });

  it('`retort worker` with RETORT_BACKEND=webgpu trains, checkpoints and registers the adapter', async () => {
    const op = `Bearer ${stack.tokens.operator}`;
    const api = () => request(stack.baseUrl);
    await api().post('/api/v1/models').set('Authorization', op).send({ name: 'student', path: modelDir }).expect(201);
    const ds = (await api().post('/api/v1/datasets').set('Authorization', op).send({ name: 'train-me' })).body;
    const lines = Array.from({ length: 12 }, (_, i) => JSON.stringify({ messages: [{ role: 'user', content: `ping ${i}` }, { role: 'assistant', content: `pong ${i}` }] }));

    const child = spawnWorker(stack, 'webgpu', 'datasets,train', {}, ['--backend', 'webgpu']);
    worker = child;

    const version = (await api().post(`/api/v1/datasets/${ds.id}/versions`).set('Authorization', op).set('Content-Type', 'application/x-ndjson').send(lines.join('\n'))).body;
    await waitFor(async () => (await api().get(`/api/v1/dataset-versions/${version.id}`).set('Authorization', op)).body.status === 'ready', 60000, 'import');
    const run = await api()
      .post('/api/v1/runs')
      .set('Authorization', op)
      .send({ kind: 'train', baseModel: 'student', datasetVersions: [version.id], adapter: 'pong-webgpu', hyperparameters: { steps: 6, batchSize: 2, saveEvery: 3, lr: 1e-3, warmupSteps: 1, maxSeqLen: 32 } });
    expect(run.status).toBe(202);
    const done = await waitFor(async () => {
      const r = (await api().get(`/api/v1/runs/${run.body.id}`).set('Authorization', op)).body;
      return ['succeeded', 'failed'].includes(r.status) && r;
    }, 240000, 'the run to finish').catch((err) => {
      throw new Error(`${err.message}\n${child.output.join('')}`);
    });
    expect({ status: done.status, error: done.error }).toEqual({ status: 'succeeded', error: null });
    expect(child.output.join('')).toMatch(/\[retort\] engine backend: webgpu \(Dawn, adapter /);

    const checkpoints = (await api().get(`/api/v1/runs/${run.body.id}/checkpoints`).set('Authorization', op)).body.map((c: { step: number }) => c.step);
    expect(checkpoints).toEqual(expect.arrayContaining([3, 6]));
    const adapter = (await api().get('/api/v1/adapters').set('Authorization', op)).body.find((a: { name: string }) => a.name === 'pong-webgpu');
    expect(adapter).toBeDefined();
    const events = (await api().get(`/api/v1/runs/${run.body.id}/events`).set('Authorization', op)).body as { type: string; data: { step?: number; loss?: number } }[];
    const losses = events.filter((e) => e.type === 'metrics' && e.data.loss !== undefined).map((e) => e.data.loss!);
    expect(losses.length).toBeGreaterThan(0);
    expect(losses.every(Number.isFinite)).toBe(true);
  }, 300000);
});
