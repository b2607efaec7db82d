import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { jobId, QueueName, redisOptionsFromUrl, runKindJob } from '@retort/contracts';
import { Reconciler } from '../src/reconcile/reconciler';
import { seedPipelineInputs, startTestStack, type TestStack } from './harness';

/**
 * Redis coming back empty (here: every key under this test's queue prefix deleted, what a flush does
 * to it, without touching anyone else's keys on the shared server)
 * loses no queued run and no schedule: the api puts back what Postgres says should be there.
 */
describe('reconciliation after Redis loses its data', () => {
  let stack: TestStack;
  let queues: Record<'train' | 'generate' | 'evaluate' | 'schedules', Queue>;
  const modelDir = fs.mkdtempSync(path.join(os.tmpdir(), 'retort-reconcile-'));
  const api = () => request(stack.baseUrl);
  const op = () => `Bearer ${stack.tokens.operator}`;
  const jobOf = async (runId: string, kind: 'train' | 'generate' | 'evaluate') => queues[kind].getJob(jobId(runKindJob(kind).name, { runId }));
  const flush = async () => {
    const redis = (await queues.train.client) as unknown as Redis;
    const keys = await redis.keys(`${stack.config.queuePrefix}:*`);
    if (keys.length) await redis.del(...keys);
  };

  beforeAll(async () => {
    stack = await startTestStack();
    const connection = redisOptionsFromUrl(stack.config.redisUrl);
    queues = {
      train: new Queue(QueueName.train, { connection, prefix: stack.config.queuePrefix }),
      generate: new Queue(QueueName.generate, { connection, prefix: stack.config.queuePrefix }),
      evaluate: new Queue(QueueName.evaluate, { connection, prefix: stack.config.queuePrefix }),
      schedules: new Queue(QueueName.schedules, { connection, prefix: stack.config.queuePrefix }),
    };
    await seedPipelineInputs(stack, modelDir);
  });
  afterAll(async () => {
    for (const q of Object.values(queues ?? {})) await q.close();
    await stack.close();
    fs.rmSync(modelDir, { recursive: true, force: true });
  });

  it('re-enqueues queued runs and pipelines and registers schedules again, once however often it runs', async () => {
    const versions: { id: string; datasetId: string }[] = (await api().get('/api/v1/dataset-versions').set('Authorization', op())).body;
    const [prompts, heldOut] = versions.map((v) => v.id);
    const train = (await api().post('/api/v1/runs').set('Authorization', op()).send({ kind: 'train', baseModel: 'student', datasetVersions: [prompts], adapter: 'a', hyperparameters: { steps: 1, batchSize: 1, maxSeqLen: 32 } }).expect(202)).body;
    const pipeline = (await api().post('/api/v1/runs').set('Authorization', op()).send({ kind: 'pipeline', teacher: 'teacher', prompts, student: 'student', adapter: 'p', evalDatasetVersion: heldOut, generate: { maxTokens: 16 } }).expect(202)).body;
    const steps: { id: string; kind: 'generate' | 'train' | 'evaluate' }[] = (await api().get('/api/v1/runs').set('Authorization', op()).query({ filter: JSON.stringify({ parentId: pipeline.id }) })).body;
    await api().post('/api/v1/schedules').set('Authorization', op()).send({ name: 'monthly', template: { dataset: 'prompts', evalDataset: 'held-out', teacher: 'teacher', student: 'student', adapter: 'm' } }).expect(201);
    const schedule = (await api().get('/api/v1/schedules/monthly').set('Authorization', op())).body;
    expect(await jobOf(train.id, 'train')).toBeTruthy();
    expect(await queues.schedules.getJobScheduler(schedule.id)).toBeTruthy();

    await flush();
    expect(await jobOf(train.id, 'train')).toBeUndefined();
    expect(await queues.schedules.getJobScheduler(schedule.id)).toBeUndefined();

    const reconciler = stack.app.get(Reconciler);
    await Promise.all([reconciler.once(), reconciler.once()]);
    await reconciler.once();
    expect(await jobOf(train.id, 'train')).toBeTruthy();
    for (const step of steps) expect({ kind: step.kind, job: Boolean(await jobOf(step.id, step.kind)) }).toEqual({ kind: step.kind, job: true });
    expect(await queues.schedules.getJobScheduler(schedule.id)).toMatchObject({ pattern: '0 3 1 * *' });
    expect(await queues.train.getJobCounts('wait', 'waiting-children')).toEqual({ wait: 1, 'waiting-children': 1 });
    expect(await queues.generate.getJobCounts('wait')).toEqual({ wait: 1 });
  });

  it('leaves finished runs alone', async () => {
    await flush();
    await stack.app.get(DataSource).query(`UPDATE run SET status = 'cancelled'`);
    await stack.app.get(Reconciler).once();
    expect(await queues.train.getJobCounts('wait', 'waiting-children')).toEqual({ wait: 0, 'waiting-children': 0 });
    expect(await queues.generate.getJobCounts('wait')).toEqual({ wait: 0 });
  });
});
