import { createServingClient, PromotionError, promoteAdapter, rollbackAdapter, type PromotionStep, type ServingClient } from '../src';
import { startFakeVllm, type FakeVllmServer } from './fake-vllm-server';

const V1 = { name: 'support-v1', path: '/adapters/support/v1' };
const V2 = { name: 'support-v2', path: '/adapters/support/v2' };
const options = { smoke: { prompt: 'Where is my order?', maxTokens: 16 } };

/** The steps without timings, as `action name ok` lines (plus the error's gist). */
const brief = (steps: PromotionStep[]) => steps.map((s) => `${s.action} ${s.name} ${s.ok ? 'ok' : 'FAILED'}`);

async function failure(p: Promise<unknown>): Promise<PromotionError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(PromotionError);
    return err as PromotionError;
  }
  throw new Error('expected the promotion to fail');
}

describe('promoteAdapter', () => {
  let server: FakeVllmServer;
  let client: ServingClient;
  const answer = async (model: string) => (await client.smokeTest(model, { prompt: 'hi', maxTokens: 4 })).text;
  const loaded = () => Object.fromEntries(server.adapters);

  beforeAll(async () => {
    server = await startFakeVllm();
    client = createServingClient({ baseUrl: server.baseUrl, timeoutMs: 5000 });
  });
  afterAll(() => server.close());
  beforeEach(async () => {
    server.reset(true);
    // Production: the alias serves v1, and v1's versioned name is loaded (pinnable).
    await client.loadAdapter('support', V1.path);
    await client.loadAdapter(V1.name, V1.path);
    server.reset();
  });

  it('switches what the alias answers, unloads the superseded version and keeps the new one', async () => {
    expect(await answer('support')).toBe('support says hi from /adapters/support/v1');
    const result = await promoteAdapter(client, { alias: 'support', version: V2, previous: V1 }, options);
    expect(await answer('support')).toBe('support says hi from /adapters/support/v2');
    expect(loaded()).toEqual({ support: V2.path, 'support-v2': V2.path });
    expect(brief(result.steps)).toEqual([
      'list support ok',
      'load support-v2 ok',
      'smoke support-v2 ok',
      'unload support ok',
      'load support ok',
      'smoke support ok',
      'unload support-v1 ok',
    ]);
    expect(result).toMatchObject({ alias: 'support', serving: V2, versionLoaded: true, smoke: { model: 'support', text: 'support says hi from /adapters/support/v2' } });
    expect(result.steps[1]).toMatchObject({ action: 'load', name: 'support-v2', path: V2.path, ok: true });
    expect(result.steps[2].detail).toMatch(/^answered "support-v2 says hi from \/adapters\/support\/v2" in \d+ ms$/);
    for (const s of result.steps) expect(s.ms).toBeGreaterThanOrEqual(0);
    expect(JSON.parse(JSON.stringify(result.steps))).toEqual(result.steps); // storable as JSON
  });

  it('can unload the new versioned name too', async () => {
    const result = await promoteAdapter(client, { alias: 'support', version: V2, previous: V1 }, { ...options, keepVersionLoaded: false });
    expect(loaded()).toEqual({ support: V2.path });
    expect(result.versionLoaded).toBe(false);
    expect(brief(result.steps).at(-1)).toBe('unload support-v2 ok');
  });

  it('promotes a first version when the alias does not exist yet', async () => {
    server.reset(true);
    const result = await promoteAdapter(client, { alias: 'support', version: V1 }, options);
    expect(await answer('support')).toBe('support says hi from /adapters/support/v1');
    expect(brief(result.steps)).toEqual(['list support ok', 'load support-v1 ok', 'smoke support-v1 ok', 'load support ok', 'smoke support ok']);
  });

  it('leaves the alias on the old version when the new version fails its smoke test', async () => {
    server.failChat({ path: V2.path }, { status: 500, message: 'adapter rank 64 exceeds --max-lora-rank 16' });
    const err = await failure(promoteAdapter(client, { alias: 'support', version: V2, previous: V1 }, options));
    expect(err).toMatchObject({ stage: 'candidate', production: 'unchanged' });
    expect(err.message).toBe(
      `promotion of support-v2 (/adapters/support/v2) to "support" at ${server.baseUrl} failed before the alias was touched: ` +
        `POST ${server.baseUrl}/chat/completions (smoke test of support-v2): HTTP 500 Internal Server Error: adapter rank 64 exceeds --max-lora-rank 16; ` +
        'production stays on support-v1 (/adapters/support/v1)',
    );
    expect(brief(err.steps)).toEqual(['list support ok', 'load support-v2 ok', 'smoke support-v2 FAILED', 'unload support-v2 ok']);
    expect(err.steps[2].error).toMatch(/HTTP 500/);
    expect(loaded()).toEqual({ support: V1.path, 'support-v1': V1.path });
    expect(await answer('support')).toBe('support says hi from /adapters/support/v1');
    // The alias was never unloaded or loaded.
    expect(server.calls.filter((c) => c.body?.lora_name === 'support')).toEqual([]);
  });

  it('leaves the alias alone when the new version answers an empty choice list or fails to load', async () => {
    server.failChat({ name: V2.name }, 'empty');
    const empty = await failure(promoteAdapter(client, { alias: 'support', version: V2, previous: V1 }, options));
    expect(empty.message).toMatch(/the server answered an empty choice list; production stays on support-v1/);

    server.reset();
    server.failLoad({ path: V2.path });
    const missing = await failure(promoteAdapter(client, { alias: 'support', version: V2, previous: V1 }, options));
    expect(missing).toMatchObject({ stage: 'candidate', production: 'unchanged' });
    expect(missing.message).toMatch(/HTTP 404 Not Found: Loading lora support-v2 failed: No adapter found for \/adapters\/support\/v2; production stays on support-v1/);
    expect(brief(missing.steps)).toEqual(['list support ok', 'load support-v2 FAILED']);
    expect(loaded()).toEqual({ support: V1.path, 'support-v1': V1.path });
  });

  it('restores the previous version when loading under the alias fails', async () => {
    server.failLoad({ name: 'support', path: V2.path }, { status: 500, message: 'disk quota exceeded' });
    const err = await failure(promoteAdapter(client, { alias: 'support', version: V2, previous: V1 }, options));
    expect(err).toMatchObject({ stage: 'switch', production: 'restored' });
    expect(err.message).toMatch(/failed while switching the alias: POST .*\/load_lora_adapter \(support from \/adapters\/support\/v2\): HTTP 500 Internal Server Error: disk quota exceeded; production was restored to support-v1 \(\/adapters\/support\/v1\)$/);
    expect(brief(err.steps)).toEqual([
      'list support ok',
      'load support-v2 ok',
      'smoke support-v2 ok',
      'unload support ok',
      'load support FAILED',
      'unload support ok', // "was not loaded" counts as done
      'restore support ok',
      'smoke support ok',
      'unload support-v2 ok',
    ]);
    expect(err.steps[5].detail).toBe('was not loaded');
    expect(err.steps[6]).toMatchObject({ path: V1.path });
    expect(await answer('support')).toBe('support says hi from /adapters/support/v1');
    expect(loaded()).toEqual({ 'support-v1': V1.path, support: V1.path });
  });

  it('restores the previous version when the alias fails its smoke test', async () => {
    server.failChat({ name: 'support', path: V2.path }, { status: 500, message: 'boom' });
    const err = await failure(promoteAdapter(client, { alias: 'support', version: V2, previous: V1 }, options));
    expect(err).toMatchObject({ stage: 'switch', production: 'restored' });
    expect(brief(err.steps).slice(3)).toEqual(['unload support ok', 'load support ok', 'smoke support FAILED', 'unload support ok', 'restore support ok', 'smoke support ok', 'unload support-v2 ok']);
    expect(await answer('support')).toBe('support says hi from /adapters/support/v1');
  });

  it('says so when the restore fails too', async () => {
    server.failLoad({ name: 'support' }, { status: 500, message: 'engine dead' });
    const err = await failure(promoteAdapter(client, { alias: 'support', version: V2, previous: V1 }, options));
    expect(err).toMatchObject({ stage: 'switch', production: 'restore-failed' });
    expect(err.message).toMatch(/restoring support-v1 \(\/adapters\/support\/v1\) under "support" failed too \(.*engine dead\): requests for "support" fail until it is loaded again$/);
    expect(loaded()).toEqual({ 'support-v1': V1.path });
  });

  it('unloads a broken alias when there was no previous version', async () => {
    server.reset(true);
    server.failChat({ name: 'support' }, 'empty');
    const err = await failure(promoteAdapter(client, { alias: 'support', version: V1 }, options));
    expect(err).toMatchObject({ stage: 'switch', production: 'none' });
    expect(err.message).toMatch(/there was no previous version to restore, so "support" is not loaded$/);
    expect(loaded()).toEqual({});
  });

  it('restores what the server listed under the alias when no previous version is given', async () => {
    server.failChat({ name: 'support', path: V2.path }, 'empty');
    const err = await failure(promoteAdapter(client, { alias: 'support', version: V2 }, options));
    expect(err).toMatchObject({ production: 'restored' });
    expect(err.message).toMatch(/production was restored to the adapter it served before \(\/adapters\/support\/v1\)$/);
    expect(await answer('support')).toBe('support says hi from /adapters/support/v1');
  });

  it('keeps production when the alias cannot be unloaded', async () => {
    // A server that refuses the alias's unload (e.g. a proxy in front of it): nothing is switched.
    const real = client.unloadAdapter;
    const refusing: ServingClient = { ...client, unloadAdapter: (name) => (name === 'support' ? Promise.reject(new Error('503 from the proxy')) : real(name)) };
    const err = await failure(promoteAdapter(refusing, { alias: 'support', version: V2, previous: V1 }, options));
    expect(err).toMatchObject({ stage: 'switch', production: 'unchanged' });
    expect(err.message).toMatch(/unloading the alias failed: 503 from the proxy; production stays on support-v1/);
    expect(loaded()).toEqual({ support: V1.path, 'support-v1': V1.path });
  });

  it('is idempotent: a retried promotion converges without switching again', async () => {
    await promoteAdapter(client, { alias: 'support', version: V2, previous: V1 }, options);
    server.reset();
    const again = await promoteAdapter(client, { alias: 'support', version: V2, previous: V1 }, options);
    expect(brief(again.steps)).toEqual(['list support ok', 'load support-v2 ok', 'smoke support-v2 ok', 'load support ok', 'smoke support ok']);
    expect(again.steps[1].detail).toBe('already loaded from this path; kept');
    expect(again.steps[3].detail).toBe('the alias already serves this path; not switched');
    expect(server.calls.filter((c) => c.path !== '/v1/models' && c.path !== '/v1/chat/completions')).toEqual([]);
  });

  it('reloads a versioned name that was loaded from another path', async () => {
    await client.loadAdapter(V2.name, '/stale/v2');
    const result = await promoteAdapter(client, { alias: 'support', version: V2, previous: V1 }, options);
    expect(result.steps[1]).toMatchObject({ action: 'unload', name: V2.name, ok: true, detail: 'unloaded (was loaded from /stale/v2)' });
    expect(loaded()).toEqual({ support: V2.path, 'support-v2': V2.path });
  });

  it('fails before changing anything when the server cannot be reached', async () => {
    const dead = createServingClient({ baseUrl: 'http://127.0.0.1:1/v1', timeoutMs: 2000 });
    const err = await failure(promoteAdapter(dead, { alias: 'support', version: V2, previous: V1 }, options));
    expect(err).toMatchObject({ stage: 'prepare', production: 'unchanged' });
    expect(err.message).toMatch(/failed before anything was changed: GET http:\/\/127.0.0.1:1\/v1\/models: connection failed/);
  });

  it('validates names', async () => {
    await expect(promoteAdapter(client, { alias: 'support', version: { name: 'support', path: '/x' } }, options)).rejects.toThrow(/must differ from the alias/);
    await expect(promoteAdapter(client, { alias: 'support', version: V2, previous: V2 }, options)).rejects.toThrow(/same name/);
    await expect(promoteAdapter(client, { alias: '', version: V2 }, options)).rejects.toThrow(/alias must be a non-empty string/);
    await expect(promoteAdapter(client, { alias: 'base-model', version: V2 }, options)).rejects.toThrow(/"base-model" is the name of a base model/);
  });
});

describe('rollbackAdapter', () => {
  let server: FakeVllmServer;
  let client: ServingClient;
  beforeAll(async () => {
    server = await startFakeVllm();
    client = createServingClient({ baseUrl: server.baseUrl });
  });
  afterAll(() => server.close());

  it('re-points the alias at an earlier version', async () => {
    await promoteAdapter(client, { alias: 'support', version: V1 }, options);
    await promoteAdapter(client, { alias: 'support', version: V2, previous: V1 }, options);
    expect(Object.fromEntries(server.adapters)).toEqual({ support: V2.path, 'support-v2': V2.path });

    const result = await rollbackAdapter(client, { alias: 'support', to: V1, from: V2 }, options);
    expect(result.serving).toEqual(V1);
    expect((await client.smokeTest('support', options.smoke)).text).toBe('support says hi from /adapters/support/v1');
    expect(Object.fromEntries(server.adapters)).toEqual({ support: V1.path, 'support-v1': V1.path });
    expect(brief(result.steps)).toEqual(['list support ok', 'load support-v1 ok', 'smoke support-v1 ok', 'unload support ok', 'load support ok', 'smoke support ok', 'unload support-v2 ok']);
  });

  it('keeps the current version when the rollback target is broken', async () => {
    server.reset(true);
    await promoteAdapter(client, { alias: 'support', version: V2 }, options);
    server.failLoad({ path: V1.path });
    const err = await failure(rollbackAdapter(client, { alias: 'support', to: V1, from: V2 }, options));
    expect(err.message).toMatch(/^rollback of support-v1 .* failed before the alias was touched: .*; production stays on support-v2 \(\/adapters\/support\/v2\)$/);
    expect(Object.fromEntries(server.adapters)).toEqual({ support: V2.path, 'support-v2': V2.path });
  });
});
