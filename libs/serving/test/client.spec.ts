import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createServingClient, isAlreadyLoadedError, isNotLoadedError, normalizeServingUrl, ServingError, toServerPath } from '../src';
import { startFakeVllm, type FakeVllmServer } from './fake-vllm-server';

const smoke = { prompt: 'hello', maxTokens: 8 };

async function rejection(p: Promise<unknown>): Promise<ServingError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(ServingError);
    return err as ServingError;
  }
  throw new Error('expected a rejection');
}

describe('serving client', () => {
  let server: FakeVllmServer;
  beforeAll(async () => {
    server = await startFakeVllm({ base: 'qwen-7b' });
  });
  afterAll(() => server.close());
  beforeEach(() => server.reset(true));

  it('normalises the OpenAI root', () => {
    expect(normalizeServingUrl('http://h:8000')).toBe('http://h:8000/v1');
    expect(normalizeServingUrl('http://h:8000/')).toBe('http://h:8000/v1');
    expect(normalizeServingUrl('https://h/proxy/v1/')).toBe('https://h/proxy/v1');
    expect(() => normalizeServingUrl('h:8000')).toThrow(/http/);
    expect(() => createServingClient({ baseUrl: 'nope' })).toThrow(/invalid serving base URL/);
  });

  it('loads, lists, smoke-tests and unloads an adapter', async () => {
    const client = createServingClient({ baseUrl: server.url, timeoutMs: 5000 });
    expect(client.baseUrl).toBe(server.baseUrl);
    await client.loadAdapter('support-v1', '/adapters/support/v1');
    expect(server.calls.at(-1)).toEqual({ method: 'POST', path: '/v1/load_lora_adapter', body: { lora_name: 'support-v1', lora_path: '/adapters/support/v1' }, status: 200 });
    expect(await client.listModels()).toEqual([
      { id: 'qwen-7b', parent: null, root: '/models/qwen-7b', maxModelLen: 4096 },
      { id: 'support-v1', parent: 'qwen-7b', root: '/adapters/support/v1' },
    ]);
    const r = await client.smokeTest('support-v1', smoke);
    expect(r).toMatchObject({ model: 'support-v1', text: 'support-v1 says hi from /adapters/support/v1', finishReason: 'stop', completionTokens: 5 });
    expect(r.latencyMs).toBeGreaterThanOrEqual(0);
    expect(server.calls.at(-1)?.body).toEqual({ model: 'support-v1', messages: [{ role: 'user', content: 'hello' }], max_tokens: 8, temperature: 0, n: 1, stream: false });
    await client.unloadAdapter('support-v1');
    expect([...server.adapters.keys()]).toEqual([]);
  });

  it('passes base_model_name when asked', async () => {
    const client = createServingClient({ baseUrl: server.baseUrl });
    await client.loadAdapter('a', '/p', { baseModelName: 'qwen-7b' });
    expect(server.calls.at(-1)?.body).toEqual({ lora_name: 'a', lora_path: '/p', base_model_name: 'qwen-7b' });
  });

  it('names the URL, the status and the server message on errors', async () => {
    const client = createServingClient({ baseUrl: server.baseUrl });
    await client.loadAdapter('dup', '/p');
    const dup = await rejection(client.loadAdapter('dup', '/p'));
    expect(dup.message).toBe(`POST ${server.baseUrl}/load_lora_adapter (dup from /p): HTTP 400 Bad Request: The lora adapter 'dup' has already been loaded.`);
    expect(dup).toMatchObject({ kind: 'http', status: 400, url: `${server.baseUrl}/load_lora_adapter` });
    expect(isAlreadyLoadedError(dup)).toBe(true);
    expect(isNotLoadedError(dup)).toBe(false);

    const unknown = await rejection(client.unloadAdapter('ghost'));
    expect(unknown.message).toBe(`POST ${server.baseUrl}/unload_lora_adapter (ghost): HTTP 404 Not Found: The lora adapter 'ghost' cannot be found.`);
    expect(isNotLoadedError(unknown)).toBe(true);

    server.failLoad({ path: '/missing' });
    const missing = await rejection(client.loadAdapter('m', '/missing'));
    expect(missing.status).toBe(404);
    expect(missing.serverMessage).toBe('Loading lora m failed: No adapter found for /missing');
  });

  it('reads the older vLLM error dialect too', async () => {
    const legacy = await startFakeVllm({ legacyErrors: true });
    try {
      const client = createServingClient({ baseUrl: legacy.baseUrl });
      const err = await rejection(client.unloadAdapter('ghost'));
      expect(err.serverMessage).toBe("The lora adapter 'ghost' cannot be found.");
      expect(isNotLoadedError(err)).toBe(true);
    } finally {
      await legacy.close();
    }
  });

  it('fails a smoke test clearly: unknown model, server error, empty choice list', async () => {
    const client = createServingClient({ baseUrl: server.baseUrl });
    const unknown = await rejection(client.smokeTest('ghost', smoke));
    expect(unknown.message).toBe(`POST ${server.baseUrl}/chat/completions (smoke test of ghost): HTTP 404 Not Found: The model \`ghost\` does not exist.`);

    await client.loadAdapter('a', '/a');
    server.failChat({ name: 'a' }, 'empty');
    const empty = await rejection(client.smokeTest('a', smoke));
    expect(empty.message).toBe(`smoke test of a at ${server.baseUrl}/chat/completions: the server answered an empty choice list`);
    expect(empty.kind).toBe('protocol');

    server.reset();
    server.failChat({ path: '/a' }, { status: 500, message: 'CUDA out of memory' });
    const boom = await rejection(client.smokeTest('a', smoke));
    expect(boom.message).toMatch(/HTTP 500 Internal Server Error: CUDA out of memory$/);

    server.reset();
    const checked = await rejection(client.smokeTest('a', { ...smoke, check: (t) => (t.includes('bye') ? undefined : 'the answer does not say bye') }));
    expect(checked.message).toBe(`smoke test of a at ${server.baseUrl}/chat/completions: the answer does not say bye (answer: "a says hi from /a")`);
    await expect(client.smokeTest('a', { prompt: '', maxTokens: 1 })).rejects.toThrow(/prompt/);
    await expect(client.smokeTest('a', { prompt: 'x', maxTokens: 0 })).rejects.toThrow(/maxTokens/);
  });

  it('sends the API key', async () => {
    const guarded = await startFakeVllm({ apiKey: 'sekret' });
    try {
      const err = await rejection(createServingClient({ baseUrl: guarded.baseUrl }).listModels());
      expect(err.status).toBe(401);
      expect(err.message).toMatch(/HTTP 401 Unauthorized: Unauthorized/);
      const models = await createServingClient({ baseUrl: guarded.baseUrl, apiKey: 'sekret' }).listModels();
      expect(models.map((m) => m.id)).toEqual(['base-model']);
    } finally {
      await guarded.close();
    }
  });

  it('reports connection failures and timeouts with the URL', async () => {
    const dead = http.createServer();
    await new Promise<void>((r) => dead.listen(0, '127.0.0.1', r));
    const port = (dead.address() as AddressInfo).port;
    await new Promise<void>((r) => dead.close(() => r()));
    const refused = await rejection(createServingClient({ baseUrl: `http://127.0.0.1:${port}/v1` }).listModels());
    expect(refused.kind).toBe('connection');
    expect(refused.message).toMatch(new RegExp(`^GET http://127.0.0.1:${port}/v1/models: connection failed \\(ECONNREFUSED`));

    const slow = await startFakeVllm({ latencyMs: 500 });
    try {
      const err = await rejection(createServingClient({ baseUrl: slow.baseUrl, timeoutMs: 50 }).listModels());
      expect(err.kind).toBe('timeout');
      expect(err.message).toBe(`GET ${slow.baseUrl}/models: no answer within 50 ms`);
    } finally {
      await slow.close();
    }
  });
});

describe('toServerPath', () => {
  const mapping = { localRoot: '/data/retort/adapters', serverRoot: '/adapters' };
  it('maps a path under the shared directory to the server side', () => {
    expect(toServerPath('/data/retort/adapters/support/v3', mapping)).toBe('/adapters/support/v3');
    expect(toServerPath('/data/retort/adapters/support/v3/', mapping)).toBe('/adapters/support/v3');
    expect(toServerPath('/srv/a', undefined)).toBe('/srv/a');
  });
  it('refuses a path outside it', () => {
    expect(() => toServerPath('/tmp/x', mapping)).toThrow('adapter path /tmp/x is outside the shared directory /data/retort/adapters, so the serving host cannot read it');
    expect(() => toServerPath('/data/retort/adapters/../x', mapping)).toThrow(/outside/);
  });
});
