import * as fs from 'node:fs';
import request from 'supertest';
import { loadConfig } from '@retort/contracts';
import { resolveServeApiKey } from '../src/main';
import { startTestStack, type TestStack } from './harness';

/** What a web page of another origin, or a viewer, may do with the api. */
describe('browser access and the playground', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({ env: { RETORT_CORS_ORIGINS: 'https://console.example' } });
  });
  afterAll(() => stack.close());

  it('answers CORS for configured origins only', async () => {
    const preflight = (origin: string) => request(stack.baseUrl).options('/api/v1/datasets').set('Origin', origin).set('Access-Control-Request-Method', 'POST').set('Access-Control-Request-Headers', 'authorization');
    expect((await preflight('https://console.example')).headers['access-control-allow-origin']).toBe('https://console.example');
    expect((await preflight('https://evil.example')).headers['access-control-allow-origin']).toBeUndefined();
    const read = await request(stack.baseUrl).get('/api/v1/datasets').set('Origin', 'https://evil.example').set('Authorization', `Bearer ${stack.tokens.viewer}`);
    expect(read.headers['access-control-allow-origin']).toBeUndefined();
  });

  it("lets only operators spend a teacher's key through the playground", async () => {
    await request(stack.baseUrl).post('/api/v1/endpoints').set('Authorization', `Bearer ${stack.tokens.admin}`).send({ name: 'paid-teacher', purpose: 'teacher', baseUrl: 'http://127.0.0.1:9/v1', model: 'big' }).expect(201);
    const body = { endpoint: 'paid-teacher', messages: [{ role: 'user', content: 'hi' }] };
    const viewer = await request(stack.baseUrl).post('/api/v1/playground/chat').set('Authorization', `Bearer ${stack.tokens.viewer}`).send(body);
    expect(viewer.status).toBe(403);
    expect(viewer.body.errors).toEqual([{ path: 'endpoint', message: 'a teacher needs the operator role' }]);
    // The operator gets through to the endpoint (which is not running here).
    const operator = await request(stack.baseUrl).post('/api/v1/playground/chat').set('Authorization', `Bearer ${stack.tokens.operator}`).send(body);
    expect(operator.status).toBe(502);
  });
});

describe('the api without configured origins', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(() => stack.close());

  it('sends no CORS headers: only its own origin (the console it serves) can read it from a browser', async () => {
    const res = await request(stack.baseUrl).options('/api/v1/datasets').set('Origin', 'http://127.0.0.1:3000').set('Access-Control-Request-Method', 'GET');
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });

  it("keeps retort serve's API key in RETORT_HOME (mode 0600) unless RETORT_SERVE_API_KEY is set", () => {
    const first = resolveServeApiKey(stack.config);
    expect(first).toMatch(/^rs_[A-Za-z0-9_-]{32}$/);
    expect(resolveServeApiKey(stack.config)).toBe(first);
    expect(fs.statSync(`${stack.config.home}/serve-api-key`).mode & 0o777).toBe(0o600);
    expect(resolveServeApiKey(loadConfig({ RETORT_HOME: stack.config.home, RETORT_SERVE_API_KEY: 'given-key-0123456789' }))).toBe('given-key-0123456789');
  });
});
