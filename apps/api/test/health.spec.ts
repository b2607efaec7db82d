import request from 'supertest';
import { startTestStack, type TestStack } from './harness';

describe('health, metrics and docs', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(() => stack.close());

  it('/healthz reports db, redis and storage without a token', async () => {
    const res = await request(stack.baseUrl).get('/healthz');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok', checks: { db: 'ok', redis: 'ok', storage: 'ok' } });
  });

  it('/metrics exposes the HTTP latency histogram and queue depths', async () => {
    await request(stack.baseUrl).get('/api/v1/datasets').set('Authorization', `Bearer ${stack.tokens.viewer}`).expect(200);
    const res = await request(stack.baseUrl).get('/metrics').set('Authorization', `Bearer ${stack.tokens.viewer}`);
    expect(res.status).toBe(200);
    expect(res.text).toMatch(/retort_http_request_duration_seconds_count\{method="GET",route="\/api\/v1\/datasets",status="200"\} 1/);
    expect(res.text).toMatch(/retort_queue_jobs\{queue="datasets",state="waiting"\} 0/);
  });

  it('/docs serves the OpenAPI document', async () => {
    const res = await request(stack.baseUrl).get('/docs/openapi.json');
    expect(res.status).toBe(200);
    expect(Object.keys(res.body.paths)).toEqual(expect.arrayContaining(['/api/v1/datasets', '/api/v1/datasets/{id}/versions', '/healthz']));
  });

  it('answers 400 problem+json for bad list parameters', async () => {
    const res = await request(stack.baseUrl).get('/api/v1/datasets?sort=["password","ASC"]').set('Authorization', `Bearer ${stack.tokens.viewer}`);
    expect(res.status).toBe(400);
    expect(res.body.detail).toMatch(/cannot sort by "password"/);
  });

  it('treats ids that are not ids in a getMany filter as matching nothing', async () => {
    const res = await request(stack.baseUrl).get(`/api/v1/models?filter=${encodeURIComponent('{"id":["tiny"]}')}`).set('Authorization', `Bearer ${stack.tokens.viewer}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual([]);
  });
});
