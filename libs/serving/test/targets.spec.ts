import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateEndpointSchema } from '@retort/contracts';
import { PromotionError, promoteAdapter, servingClientFor, ServingError, type EndpointKind } from '../src';
import { startFakeVllm, type FakeVllmServer } from './fake-vllm-server';

/** An OpenAI-compatible server without vLLM's adapter routes: models and chat only, FastAPI's 404 elsewhere. */
async function startPlainOpenAi(): Promise<{ baseUrl: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.method === 'GET' && req.url === '/v1/models') return res.end(JSON.stringify({ object: 'list', data: [{ id: 'gpt-x', object: 'model' }] }));
    res.statusCode = 404;
    res.end(JSON.stringify({ detail: 'Not Found' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

const KINDS = CreateEndpointSchema.shape.kind.unwrap().options as readonly EndpointKind[];

describe('serving client per endpoint kind', () => {
  let vllm: FakeVllmServer;
  beforeAll(async () => {
    vllm = await startFakeVllm({ base: 'qwen-7b' });
  });
  afterAll(() => vllm.close());
  beforeEach(() => vllm.reset(true));

  it('has a client for every kind an endpoint can be registered with, and refuses others', () => {
    expect([...KINDS].sort()).toEqual(['openai', 'retort', 'vllm']);
    for (const kind of KINDS) expect(servingClientFor(kind, { baseUrl: vllm.url }).baseUrl).toBe(vllm.baseUrl);
    expect(() => servingClientFor('triton' as EndpointKind, { baseUrl: vllm.url })).toThrow(/unknown endpoint kind "triton"; known: vllm, retort, openai/);
  });

  it.each(KINDS)('loads, smoke-tests and unloads an adapter on a server with the runtime LoRA API (kind %s)', async (kind) => {
    const client = servingClientFor(kind, { baseUrl: vllm.baseUrl, timeoutMs: 5000 });
    await client.loadAdapter('support-v1', '/adapters/support/v1');
    expect([...vllm.adapters]).toEqual([['support-v1', '/adapters/support/v1']]);
    expect((await client.smokeTest('support-v1', { prompt: 'hi', maxTokens: 4 })).text).toBe('support-v1 says hi from /adapters/support/v1');
    await client.unloadAdapter('support-v1');
    expect(vllm.adapters.size).toBe(0);
  });

  it('keeps the server errors of the vLLM kinds as they are', async () => {
    vllm.failLoad({ path: '/missing' });
    const err = await servingClientFor('vllm', { baseUrl: vllm.baseUrl }).loadAdapter('m', '/missing').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServingError);
    expect((err as ServingError).message).toBe(`POST ${vllm.baseUrl}/load_lora_adapter (m from /missing): HTTP 404 Not Found: Loading lora m failed: No adapter found for /missing`);
  });

  describe('an openai endpoint that cannot load adapters', () => {
    let plain: Awaited<ReturnType<typeof startPlainOpenAi>>;
    beforeAll(async () => {
      plain = await startPlainOpenAi();
    });
    afterAll(() => plain.close());

    it('says so, and what to serve adapters from instead, keeping the server answer', async () => {
      const err = await servingClientFor('openai', { baseUrl: plain.baseUrl }).loadAdapter('support-v1', '/adapters/support/v1').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ServingError);
      expect(err).toMatchObject({ kind: 'http', status: 404, url: `${plain.baseUrl}/load_lora_adapter`, serverMessage: 'Not Found' });
      expect((err as Error).message).toBe(
        `POST ${plain.baseUrl}/load_lora_adapter (support-v1 from /adapters/support/v1): HTTP 404 Not Found: Not Found ` +
          '(the endpoint is of kind openai, and a plain OpenAI-compatible server cannot load LoRA adapters at runtime: ' +
          'serve adapters from vLLM (kind vllm, started with --enable-lora and VLLM_ALLOW_RUNTIME_LORA_UPDATING=True) or retort serve (kind retort))',
      );
    });

    it('fails a promotion before the alias is touched, with that sentence', async () => {
      const client = servingClientFor('openai', { baseUrl: plain.baseUrl });
      const err = await promoteAdapter(client, { alias: 'support', version: { name: 'support-v1', path: '/adapters/support/v1' } }, { smoke: { prompt: 'hi', maxTokens: 4 } }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PromotionError);
      expect(err).toMatchObject({ stage: 'candidate', production: 'unchanged' });
      expect((err as Error).message).toContain('a plain OpenAI-compatible server cannot load LoRA adapters at runtime');
    });
  });
});
