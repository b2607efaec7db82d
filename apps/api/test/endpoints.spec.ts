import request from 'supertest';
import { DataSource } from 'typeorm';
import { startFakeOpenAI } from '../../../libs/teacher/test/fake-openai-server';
import { startTestStack, type TestStack } from './harness';

describe('endpoints: teachers and serving targets with a write-only key', () => {
  let stack: TestStack;
  let admin: string;
  beforeAll(async () => {
    stack = await startTestStack({ env: { RETORT_SECRET_KEY: 'test-secret-key-0123456789' } });
    admin = `Bearer ${stack.tokens.admin}`;
  });
  afterAll(() => stack.close());

  it('stores the API key encrypted and never returns it', async () => {
    const created = await request(stack.baseUrl)
      .post('/api/v1/endpoints')
      .set('Authorization', admin)
      .send({ name: 'big-teacher', purpose: 'teacher', baseUrl: 'http://127.0.0.1:9/v1/', model: 'r1-70b', apiKey: 'sk-live-abc123', maxConcurrency: 16, requestsPerMinute: 600 });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'big-teacher', baseUrl: 'http://127.0.0.1:9/v1', hasApiKey: true, maxConcurrency: 16, requestsPerMinute: 600, tokensPerMinute: null });
    const everything = [created, await request(stack.baseUrl).get('/api/v1/endpoints').set('Authorization', admin), await request(stack.baseUrl).get(`/api/v1/endpoints/${created.body.id}`).set('Authorization', admin)];
    for (const res of everything) expect(JSON.stringify(res.body)).not.toMatch(/sk-live-abc123|secret/i);
    const [row] = await stack.app.get(DataSource).query('SELECT secret_sealed FROM endpoint WHERE id = $1', [created.body.id]);
    expect(row.secret_sealed).toMatch(/^v1:/);
    expect(row.secret_sealed).not.toContain('sk-live-abc123');

    const cleared = await request(stack.baseUrl).patch(`/api/v1/endpoints/${created.body.id}`).set('Authorization', admin).send({ apiKey: null, maxConcurrency: 2 });
    expect(cleared.body).toMatchObject({ hasApiKey: false, maxConcurrency: 2 });
  });

  it('lets only admins change endpoints and validates the fields', async () => {
    const op = await request(stack.baseUrl).post('/api/v1/endpoints').set('Authorization', `Bearer ${stack.tokens.operator}`).send({ name: 'x', purpose: 'teacher', baseUrl: 'http://x/v1', model: 'm' });
    expect(op.status).toBe(403);
    const bad = await request(stack.baseUrl).post('/api/v1/endpoints').set('Authorization', admin).send({ name: 'y', purpose: 'oracle', baseUrl: 'ftp://x', model: 'm' });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['baseUrl', 'purpose']);
  });

  it('tests the connection with the stored key: reachable, authorised, model listed', async () => {
    const teacher = await startFakeOpenAI({ apiKey: 'sk-right', model: 'r1-distill' });
    try {
      const make = async (name: string, apiKey: string) =>
        (await request(stack.baseUrl).post('/api/v1/endpoints').set('Authorization', admin).send({ name, purpose: 'teacher', baseUrl: teacher.baseUrl, model: 'r1-distill', apiKey })).body.id;
      const good = await request(stack.baseUrl).post(`/api/v1/endpoints/${await make('good', 'sk-right')}/test`).set('Authorization', `Bearer ${stack.tokens.operator}`);
      expect(good.body).toMatchObject({ ok: true, models: ['r1-distill'], modelListed: true });
      const bad = await request(stack.baseUrl).post(`/api/v1/endpoints/${await make('bad-key', 'sk-wrong')}/test`).set('Authorization', `Bearer ${stack.tokens.operator}`);
      expect(bad.body.ok).toBe(false);
      expect(bad.body.error).toMatch(/401/);
    } finally {
      await teacher.close();
    }
  });
});
