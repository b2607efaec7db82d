import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Queue } from 'bullmq';
import request from 'supertest';
import { redisOptionsFromUrl } from '@retort/contracts';
import { initModel } from '@retort/engine';
import { startTestStack, uploadVersion, waitFor, type TestStack } from '../../api/test/harness';
import { spawnWorker } from './spawn-worker';

const startWorker = (stack: TestStack, name: string) => spawnWorker(stack, name, 'datasets,train', { RETORT_LOG_LEVEL: 'log' });

/** A scale-down: SIGTERM makes a training worker checkpoint, give the run back and exit; the next worker resumes. */
describe('a worker drains on SIGTERM', () => {
  let stack: TestStack;
  let modelDir: string;
  const workers: ChildProcess[] = [];

  beforeAll(async () => {
    stack = await startTestStack();
    modelDir = fs.mkdtempSync(path.join(os.tmpdir(), 'retort-drain-model-'));
    initModel({ family: 'qwen2', config: { hidden_size: 32, num_hidden_layers: 1, num_attention_heads: 2, num_key_value_heads: 1, intermediate_size: 64 }, out: modelDir, seed: 7 });
  });
  afterAll(async () => {
    for (const w of workers) w.kill('SIGKILL');
    await stack.close();
    fs.rmSync(modelDir, { recursive: true, force: true });
  });

  it('checkpoints the step, puts the job back in the wait list at once, and another worker resumes there', async () => {
    const op = `Bearer ${stack.tokens.operator}`;
    const api = () => request(stack.baseUrl);
    const a = startWorker(stack, 'A');
    workers.push(a);
    await api().post('/api/v1/models').set('Authorization', op).send({ name: 'student', path: modelDir }).expect(201);
    const data = await uploadVersion(stack, 'pairs', Array.from({ length: 16 }, (_, i) => ({ messages: [{ role: 'user', content: `ping ${i}` }, { role: 'assistant', content: `pong ${i}` }] })), stack.tokens.operator);
    const run = await api()
      .post('/api/v1/runs')
      .set('Authorization', op)
      .send({ kind: 'train', baseModel: 'student', datasetVersions: [data], adapter: 'drained', hyperparameters: { steps: 300, batchSize: 2, saveEvery: 1000, lr: 1e-3, warmupSteps: 1, maxSeqLen: 32 } })
      .expect(202);
    const runId = run.body.id;
    await waitFor(async () => ((await api().get(`/api/v1/runs/${runId}`).set('Authorization', op)).body.progress?.step ?? 0) >= 5, 60000, 'training on worker A');

    a.kill('SIGTERM');
    await new Promise((resolve) => a.once('exit', resolve));
    expect(a.output.join('')).toMatch(/given back to the train queue/);

    // The run is queued again with a checkpoint at the step A stopped on; the job waits for a worker, with no attempt used.
    const released = (await api().get(`/api/v1/runs/${runId}`).set('Authorization', op)).body;
    expect(released).toMatchObject({ status: 'queued', worker: null });
    const checkpoints = (await api().get(`/api/v1/runs/${runId}/checkpoints`).set('Authorization', op)).body.map((c: { step: number }) => c.step);
    expect(checkpoints).toHaveLength(1);
    expect(checkpoints[0]).toBeGreaterThanOrEqual(5);
    expect(checkpoints[0]).toBeLessThan(300);
    const queue = new Queue('train', { connection: redisOptionsFromUrl(stack.config.redisUrl), prefix: stack.config.queuePrefix });
    const [job] = await queue.getJobs(['wait']);
    expect(job?.data).toEqual({ runId });
    expect(job.attemptsMade).toBe(0);
    await queue.close();

    const b = startWorker(stack, 'B');
    workers.push(b);
    const done = await waitFor(async () => {
      const r = (await api().get(`/api/v1/runs/${runId}`).set('Authorization', op)).body;
      return ['succeeded', 'failed'].includes(r.status) && r;
    }, 180000, 'the run to finish on worker B').catch((err) => {
      throw new Error(`${err.message}\n${b.output.join('')}`);
    });
    expect(done.status).toBe('succeeded');
    expect(done.worker).toMatch(new RegExp(`:${b.pid}$`));
    const events = (await api().get(`/api/v1/runs/${runId}/events`).set('Authorization', op)).body as { data: { message?: string } }[];
    expect(events.map((e) => e.data.message).filter(Boolean)).toEqual(expect.arrayContaining([expect.stringMatching(/shutting down: checkpointed at step \d+, back in the queue/), `resumed from checkpoint at step ${checkpoints[0]}`]));
  }, 300000);
});
