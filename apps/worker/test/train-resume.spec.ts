import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { initModel } from '@retort/engine';
import { startTestStack, waitFor, type TestStack } from '../../api/test/harness';
import { spawnWorker, type WorkerProcess } from './spawn-worker';

type RunEvent = { type: string; data: { step?: number; message?: string } };

/** With the default lock timings: a killed worker's job is to be taken over within 30 s. */
const startResumableWorker = (stack: TestStack, name: string) => spawnWorker(stack, name, 'datasets,train');

describe('training on workers survives a killed worker', () => {
  let stack: TestStack;
  let modelDir: string;
  const workers: WorkerProcess[] = [];

  beforeAll(async () => {
    stack = await startTestStack();
    modelDir = fs.mkdtempSync(path.join(os.tmpdir(), 'retort-student-'));
    initModel({ family: 'qwen2', config: { hidden_size: 32, num_hidden_layers: 1, num_attention_heads: 2, num_key_value_heads: 1, intermediate_size: 64 }, out: modelDir, seed: 3 });
  });
  afterAll(async () => {
    for (const w of workers) w.kill('SIGKILL');
    await stack.close();
    fs.rmSync(modelDir, { recursive: true, force: true });
  });

  it('two workers, one killed with SIGKILL mid-training: the other takes the run over within 30 s, resumes from the checkpoint and registers exactly one adapter version', async () => {
    const op = `Bearer ${stack.tokens.operator}`;
    const api = () => request(stack.baseUrl);
    await api().post('/api/v1/models').set('Authorization', op).send({ name: 'student', path: modelDir }).expect(201);
    const ds = (await api().post('/api/v1/datasets').set('Authorization', op).send({ name: 'train-me' })).body;
    const lines = Array.from({ length: 24 }, (_, i) => JSON.stringify({ messages: [{ role: 'user', content: `ping ${i}` }, { role: 'assistant', content: `pong ${i}` }] }));

    const a = startResumableWorker(stack, 'A');
    workers.push(a);
    const version = (await api().post(`/api/v1/datasets/${ds.id}/versions`).set('Authorization', op).set('Content-Type', 'application/x-ndjson').send(lines.join('\n'))).body;
    await waitFor(async () => (await api().get(`/api/v1/dataset-versions/${version.id}`).set('Authorization', op)).body.status === 'ready', 60000, 'import');

    const run = await api()
      .post('/api/v1/runs')
      .set('Authorization', op)
      .send({ kind: 'train', baseModel: 'student', datasetVersions: [version.id], adapter: 'pong', hyperparameters: { steps: 400, batchSize: 4, saveEvery: 50, lr: 1e-3, warmupSteps: 2, maxSeqLen: 64 } });
    expect(run.status).toBe(202);
    const runId = run.body.id;

    // A trains until it has saved two checkpoints and reported steps after the latest (B replays
    // those); then B joins and A is killed without warning.
    const checkpointSteps = async () => (await api().get(`/api/v1/runs/${runId}/checkpoints`).set('Authorization', op)).body.map((c: { step: number }) => c.step) as number[];
    const metricSteps = async () => ((await api().get(`/api/v1/runs/${runId}/events`).set('Authorization', op)).body as RunEvent[]).filter((e) => e.type === 'metrics').map((e) => e.data.step as number);
    await waitFor(async () => (await checkpointSteps()).length >= 2, 90000, 'checkpoints from worker A');
    const b = startResumableWorker(stack, 'B');
    workers.push(b);
    const before = (await api().get(`/api/v1/runs/${runId}`).set('Authorization', op)).body;
    expect(before.worker).toMatch(new RegExp(`:${a.pid}$`));
    // A is frozen (SIGSTOP) before each look, so no checkpoint can land between the look and the
    // kill; it is thawed and looked at again until it has reported steps after its latest one.
    await waitFor(async () => {
      a.kill('SIGSTOP');
      await new Promise((r) => setTimeout(r, 300)); // writes already sent reach the database
      if (Math.max(...(await metricSteps())) > Math.max(...(await checkpointSteps()))) return true;
      a.kill('SIGCONT');
      await new Promise((r) => setTimeout(r, 100));
      return false;
    }, 30000, 'metrics after the latest checkpoint');
    a.kill('SIGKILL');
    const killedAt = Date.now();
    await new Promise((r) => a.once('exit', r));
    const lastCheckpointOfA = Math.max(...(await checkpointSteps()));
    const replayed = (await metricSteps()).filter((s) => s > lastCheckpointOfA);
    expect(replayed.length).toBeGreaterThan(0);
    await waitFor(async () => new RegExp(`:${b.pid}$`).test((await api().get(`/api/v1/runs/${runId}`).set('Authorization', op)).body.worker ?? ''), 40000, 'worker B to take the run over');
    expect(Date.now() - killedAt).toBeLessThan(30000);

    const done = await waitFor(async () => {
      const r = (await api().get(`/api/v1/runs/${runId}`).set('Authorization', op)).body;
      return ['succeeded', 'failed'].includes(r.status) && r;
    }, 180000, 'the run to finish on worker B').catch((err) => {
      throw new Error(`${err.message}\n${[...a.output, ...b.output].join('')}`);
    });
    expect(done.status).toBe('succeeded');
    expect(done.worker).toMatch(new RegExp(`:${b.pid}$`));

    const events = (await api().get(`/api/v1/runs/${runId}/events`).set('Authorization', op)).body as RunEvent[];
    const resumed = events.findIndex((e) => e.data.message?.startsWith('resumed from checkpoint at step'));
    expect(resumed).toBeGreaterThanOrEqual(0);
    const resumedAt = Number(/step (\d+)/.exec(events[resumed].data.message!)![1]);
    expect(resumedAt).toBe(lastCheckpointOfA);
    expect(lastCheckpointOfA).toBeLessThan(400);
    // Written when B resumed: before every metrics event of the steps B trained.
    const metrics = events.filter((e) => e.type === 'metrics');
    expect(metrics.filter((e) => e.data.step! > resumedAt).every((e) => events.indexOf(e) > resumed)).toBe(true);
    // The loss curve has each step once (A's replayed steps superseded) and ends at step 400.
    const steps = metrics.map((e) => e.data.step as number);
    expect(steps).toEqual([...new Set(steps)].sort((x, y) => x - y));
    expect(steps[steps.length - 1]).toBe(400);
    const checkpoints = (await api().get(`/api/v1/runs/${runId}/checkpoints`).set('Authorization', op)).body.map((c: { step: number }) => c.step);
    expect(checkpoints.filter((s: number) => s > lastCheckpointOfA).length).toBeGreaterThan(0);

    const ds2 = stack.app.get(DataSource);
    const versions = await ds2.query('SELECT version, run_id FROM adapter_version WHERE run_id = $1', [runId]);
    expect(versions).toEqual([{ version: 1, run_id: runId }]);
    const files = await ds2.query(`SELECT artifact_prefix FROM adapter_version WHERE run_id = $1`, [runId]);
    expect(fs.existsSync(path.join(stack.config.artifactsDir, files[0].artifact_prefix, 'adapter_model.safetensors'))).toBe(true);
  }, 300000);
});
