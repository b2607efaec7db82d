import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import request from 'supertest';
import { initModel } from '@retort/engine';
import { startFakeOpenAI, type FakeOpenAIServer } from '../../../libs/teacher/test/fake-openai-server';
import { startTestStack, waitFor, type TestStack } from '../../api/test/harness';
import { spawn, type ChildProcess } from 'node:child_process';

/**
 * `npm start`'s default database: PGlite behind its socket server, where every connection shares
 * one session, so a query on a second connection inside a transaction waits for ever. A whole
 * distillation pipeline must run through it.
 */
describe('the embedded Postgres (PGlite) under a whole pipeline', () => {
  let pg: ChildProcess;
  let stack: TestStack;
  let teacher: FakeOpenAIServer;
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'retort-pglite-'));
  const modelDir = path.join(home, 'student');

  beforeAll(async () => {
    // In its own process, as under `retort up` (PGlite's dynamic imports do not run inside jest's VM).
    pg = spawn(process.execPath, [path.resolve(__dirname, '../bin/retort.js'), 'db', 'embedded', '--port', String(20000 + Math.floor(Math.random() * 20000))], { env: { ...process.env, RETORT_HOME: home }, stdio: ['ignore', 'pipe', 'inherit'] });
    const url = await new Promise<string>((resolve, reject) => {
      pg.stdout!.once('data', (d: Buffer) => resolve(d.toString().trim()));
      pg.once('exit', (code) => reject(new Error(`retort db embedded exited with ${code}`)));
    });
    stack = await startTestStack({ worker: true, databaseUrl: url });
    teacher = await startFakeOpenAI({ answer: (req) => `pong ${req.prompt.split(' ')[1]}` });
    initModel({ family: 'qwen2', config: { hidden_size: 32, num_hidden_layers: 1, num_attention_heads: 2, num_key_value_heads: 1, intermediate_size: 64 }, out: modelDir, seed: 2 });
  }, 120000);
  afterAll(async () => {
    await teacher?.close();
    await stack?.close();
    pg?.kill('SIGTERM');
    await new Promise((r) => pg?.once('exit', r));
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('runs generate → train → evaluate to the end', async () => {
    const op = `Bearer ${stack.tokens.operator}`;
    const api = () => request(stack.baseUrl);
    await api().post('/api/v1/models').set('Authorization', op).send({ name: 'student', path: modelDir }).expect(201);
    await api().post('/api/v1/endpoints').set('Authorization', `Bearer ${stack.tokens.admin}`).send({ name: 'teacher', purpose: 'teacher', baseUrl: teacher.baseUrl, model: 'teacher' }).expect(201);
    const upload = async (name: string, lines: object[]) => {
      const ds = (await api().post('/api/v1/datasets').set('Authorization', op).send({ name })).body;
      const v = (await api().post(`/api/v1/datasets/${ds.id}/versions`).set('Authorization', op).set('Content-Type', 'application/x-ndjson').send(lines.map((l) => JSON.stringify(l)).join('\n'))).body;
      await waitFor(async () => (await api().get(`/api/v1/dataset-versions/${v.id}`).set('Authorization', op)).body.status === 'ready', 30000, `import of ${name}`);
      return v.id as string;
    };
    const prompts = await upload('prompts', Array.from({ length: 8 }, (_, i) => ({ prompt: `ping ${i}` })));
    const held = await upload('held-out', Array.from({ length: 3 }, (_, i) => ({ messages: [{ role: 'user', content: `ping ${50 + i}` }, { role: 'assistant', content: `pong ${50 + i}` }] })));
    const run = await api().post('/api/v1/runs').set('Authorization', op).send({ kind: 'pipeline', teacher: 'teacher', prompts, student: 'student', adapter: 'pong', evalDatasetVersion: held, hyperparameters: { steps: 4, batchSize: 4, maxSeqLen: 64 }, evaluate: { maxTokens: 3 } });
    expect(run.status).toBe(202);
    const done = await waitFor(async () => {
      const r = (await api().get(`/api/v1/runs/${run.body.id}`).set('Authorization', op)).body;
      return ['succeeded', 'failed'].includes(r.status) && r;
    }, 90000, 'the pipeline on PGlite');
    expect(done.status).toBe('succeeded');
    expect((await api().get('/api/v1/adapters/pong').set('Authorization', op)).body.versions[0].lineage.teacherEndpoint).toMatchObject({ name: 'teacher' });
  }, 120000);
});
