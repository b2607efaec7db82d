import type { INestApplication, INestApplicationContext } from '@nestjs/common';
import type { OpenAPIObject } from '@nestjs/swagger';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Queue } from 'bullmq';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { loadConfig, QueueName, redisOptionsFromUrl, type RetortConfig } from '@retort/contracts';
import { createTestDatabase, type TestDatabase } from '@retort/db';
import { startWorker } from '../../worker/src/main';
import { createApiApp } from '../src/main';
import { TokenService } from '../src/auth/token.service';

export interface TestStack {
  app: INestApplication;
  openapi: OpenAPIObject;
  config: RetortConfig;
  baseUrl: string;
  tokens: { admin: string; operator: string; viewer: string };
  worker?: INestApplicationContext;
  close(): Promise<void>;
}

/**
 * The real api on a fresh Postgres database, real Redis with a queue prefix of its own and a
 * temporary artifact directory; optionally a real worker in the same process.
 */
export async function startTestStack(opts: { worker?: boolean; env?: Record<string, string>; databaseUrl?: string } = {}): Promise<TestStack> {
  // A given database (e.g. the embedded PGlite) is used as it is; otherwise a fresh one on the local server.
  const db: TestDatabase = opts.databaseUrl ? { url: opts.databaseUrl, name: 'given', drop: async () => undefined } : await createTestDatabase();
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'retort-test-'));
  const adminToken = `rt_test_admin_${randomBytes(12).toString('hex')}`;
  const config = loadConfig({
    DATABASE_URL: db.url,
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    RETORT_HOME: home,
    RETORT_QUEUE_PREFIX: `test-${randomBytes(6).toString('hex')}`,
    RETORT_ADMIN_TOKEN: adminToken,
    RETORT_LOG_LEVEL: 'error',
    RETORT_PORT: '3000',
    ...opts.env,
  });
  const { app, openapi } = await createApiApp(config, { bootstrapToken: adminToken });
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  const tokenService = app.get(TokenService);
  const tokens = {
    admin: adminToken,
    operator: (await tokenService.create('test-operator', 'operator')).token,
    viewer: (await tokenService.create('test-viewer', 'viewer')).token,
  };
  const worker = opts.worker ? await startWorker(config) : undefined;
  return {
    app,
    openapi,
    config,
    baseUrl: `http://127.0.0.1:${address.port}`,
    tokens,
    worker,
    async close() {
      await worker?.close();
      await app.close();
      await obliterateQueues(config);
      await db.drop();
      fs.rmSync(home, { recursive: true, force: true });
    },
  };
}

/** Leaves nothing behind in Redis: every queue under this test's prefix is removed. */
async function obliterateQueues(config: RetortConfig): Promise<void> {
  for (const name of Object.values(QueueName)) {
    const q = new Queue(name, { connection: redisOptionsFromUrl(config.redisUrl), prefix: config.queuePrefix });
    await q.obliterate({ force: true });
    await q.close();
  }
}

/** A new data set with one version of these JSONL records, once its import is ready; returns the version id. */
export async function uploadVersion(stack: TestStack, name: string, lines: object[], token = stack.tokens.operator): Promise<string> {
  const auth = `Bearer ${token}`;
  const ds = (await request(stack.baseUrl).post('/api/v1/datasets').set('Authorization', auth).send({ name })).body;
  const v = (await request(stack.baseUrl).post(`/api/v1/datasets/${ds.id}/versions`).set('Authorization', auth).set('Content-Type', 'application/x-ndjson').send(lines.map((l) => JSON.stringify(l)).join('\n'))).body;
  await waitFor(async () => (await request(stack.baseUrl).get(`/api/v1/dataset-versions/${v.id}`).set('Authorization', auth)).body.status === 'ready', 20000, `import of ${name}`);
  return v.id;
}

/**
 * What a pipeline or a schedule names, without a worker: the base model "student" (a tiny config
 * written to `modelDir`), the teacher endpoint "teacher" (nothing listens there), and the data sets
 * "prompts" and "held-out" with one version each, marked ready as no import job runs.
 */
export async function seedPipelineInputs(stack: TestStack, modelDir: string): Promise<void> {
  const api = () => request(stack.baseUrl);
  const op = `Bearer ${stack.tokens.operator}`;
  fs.writeFileSync(path.join(modelDir, 'config.json'), JSON.stringify({ model_type: 'llama', hidden_size: 32, intermediate_size: 64, num_hidden_layers: 1, num_attention_heads: 2, num_key_value_heads: 2, vocab_size: 272 }));
  await api().post('/api/v1/models').set('Authorization', op).send({ name: 'student', path: modelDir }).expect(201);
  await api().post('/api/v1/endpoints').set('Authorization', `Bearer ${stack.tokens.admin}`).send({ name: 'teacher', purpose: 'teacher', baseUrl: 'http://127.0.0.1:9/v1', model: 't' }).expect(201);
  for (const name of ['prompts', 'held-out']) {
    const ds = (await api().post('/api/v1/datasets').set('Authorization', op).send({ name })).body;
    const line = JSON.stringify({ messages: [{ role: 'user', content: 'a' }, { role: 'assistant', content: 'b' }] });
    await api().post(`/api/v1/datasets/${ds.id}/versions`).set('Authorization', op).set('Content-Type', 'application/x-ndjson').send(line).expect(201);
  }
  await stack.app.get(DataSource).query(`UPDATE dataset_version SET status = 'ready'`);
}

export async function waitFor<T>(fn: () => Promise<T | undefined | null | false>, timeoutMs = 20000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
