import request from 'supertest';
import { initBackend } from '@retort/engine';
import { startServe, type ServeHandle } from '@retort/serve';
import { startTestStack, type TestStack } from '../../api/test/harness';
import { ApiClient } from '../src/client';
import { demoModels, seedDemo } from '../src/stack/demo';

/** `retort up --demo` seeds endpoints on its retort serve with the key that serve requires. */
describe('demo seeding with a keyed retort serve', () => {
  let stack: TestStack;
  let serve: ServeHandle;
  const admin = () => `Bearer ${stack.tokens.admin}`;

  beforeAll(async () => {
    stack = await startTestStack({ env: { RETORT_SECRET_KEY: 'test-secret-key-0123456789' } });
    await initBackend(undefined, () => undefined);
    const models = demoModels();
    serve = await startServe({ models: [{ name: 'demo-teacher', dir: models.teacher }, { name: 'demo-student', dir: models.student }], port: 0, apiKey: 'rs_first-key-0123456789', log: () => undefined });
  }, 120_000);
  afterAll(async () => {
    await serve?.close();
    await stack?.close();
  });

  async function connects(name: string): Promise<boolean> {
    const list = await request(stack.baseUrl).get('/api/v1/endpoints').set('Authorization', admin()).query({ filter: JSON.stringify({ name }) });
    const test = await request(stack.baseUrl).post(`/api/v1/endpoints/${list.body[0].id}/test`).set('Authorization', admin());
    return test.body.ok;
  }

  it('stores the serve key on both endpoints, and replaces an old one when seeded again', async () => {
    const api = new ApiClient(stack.baseUrl, stack.tokens.admin);
    await seedDemo(api, demoModels(), serve.url, 'rs_first-key-0123456789');
    expect(await connects('demo-teacher')).toBe(true);
    expect(await connects('demo-serve')).toBe(true);

    await serve.close();
    const models = demoModels();
    serve = await startServe({ models: [{ name: 'demo-teacher', dir: models.teacher }, { name: 'demo-student', dir: models.student }], port: serve.port, apiKey: 'rs_second-key-0123456789', log: () => undefined });
    expect(await connects('demo-serve')).toBe(false);
    await seedDemo(api, demoModels(), serve.url, 'rs_second-key-0123456789');
    expect(await connects('demo-teacher')).toBe(true);
    expect(await connects('demo-serve')).toBe(true);
  }, 60_000);
});
