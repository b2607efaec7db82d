import * as fs from 'node:fs';
import * as path from 'node:path';
import { initBackend } from '@retort/engine';
import { ServeHandle, startServe } from '../src/main';
import { tinyModelDir, tmpDir } from './helpers';

/** What a web page or a careless client can do to retort serve: nothing it was not allowed to. */
describe('retort serve: the HTTP layer', () => {
  let dir: string;
  let serve: ServeHandle;
  const messages = [{ role: 'user', content: 'hi' }];
  const post = (url: string, body: string, headers: Record<string, string> = { 'Content-Type': 'application/json' }) => fetch(url, { method: 'POST', headers, body });

  beforeAll(async () => {
    await initBackend(undefined, () => undefined);
    dir = tinyModelDir(5);
    serve = await startServe({ models: [{ name: 'tiny', dir }], port: 0, corsOrigins: [], maxBodyBytes: 64 * 1024, maxPromptChars: 2000, log: () => undefined });
  });
  afterAll(() => serve?.close());

  it('sends no CORS headers unless origins are configured, and then only to those', async () => {
    const evil = { Origin: 'https://evil.example' };
    const plain = await fetch(`${serve.url}/v1/models`, { headers: evil });
    expect(plain.headers.get('access-control-allow-origin')).toBeNull();
    const preflight = await fetch(`${serve.url}/v1/chat/completions`, { method: 'OPTIONS', headers: { ...evil, 'Access-Control-Request-Method': 'POST' } });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();

    const open = await startServe({ models: [{ name: 'tiny', dir }], port: 0, corsOrigins: ['http://127.0.0.1:3000'], log: () => undefined });
    try {
      const allowed = await fetch(`${open.url}/v1/chat/completions`, { method: 'OPTIONS', headers: { Origin: 'http://127.0.0.1:3000' } });
      expect([allowed.status, allowed.headers.get('access-control-allow-origin')]).toEqual([204, 'http://127.0.0.1:3000']);
      expect((await fetch(`${open.url}/v1/models`, { headers: evil })).headers.get('access-control-allow-origin')).toBeNull();
    } finally {
      await open.close();
    }
  });

  it('takes JSON bodies only: a form post or text/plain is 415', async () => {
    const body = JSON.stringify({ model: 'tiny', messages, max_tokens: 1 });
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const res = await post(`${serve.url}/v1/chat/completions`, body, { 'Content-Type': type });
      expect([type, res.status]).toEqual([type, 415]);
      expect((await res.json()).error).toMatchObject({ type: 'invalid_request_error', code: 'unsupported_media_type' });
    }
    expect((await post(`${serve.url}/v1/chat/completions`, body)).status).toBe(200);
  });

  it('refuses a body over the size limit and a prompt over the character limit, at once', async () => {
    const huge = await post(`${serve.url}/v1/chat/completions`, JSON.stringify({ model: 'tiny', messages: [{ role: 'user', content: 'x'.repeat(100 * 1024) }] }));
    expect(huge.status).toBe(413);
    expect((await huge.json()).error.type).toBe('invalid_request_error');
    const started = Date.now();
    const long = await post(`${serve.url}/v1/chat/completions`, JSON.stringify({ model: 'tiny', messages: [{ role: 'user', content: 'y'.repeat(3000) }] }));
    expect(long.status).toBe(400);
    expect((await long.json()).error).toMatchObject({ param: 'messages', message: "messages: the prompt text is longer than this server's limit of 2000 characters" });
    const prompt = await post(`${serve.url}/v1/completions`, JSON.stringify({ model: 'tiny', prompt: ['z'.repeat(1500), 'z'.repeat(1500)] }));
    expect((await prompt.json()).error.param).toBe('prompt');
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('answers every lora_path it cannot load alike, so no one learns which server paths exist', async () => {
    const emptyDir = tmpDir();
    const file = path.join(emptyDir, 'file.txt');
    fs.writeFileSync(file, 'x');
    const answers = [];
    for (const lora of ['/does/not/exist', emptyDir, file, dir]) {
      const res = await post(`${serve.url}/v1/load_lora_adapter`, JSON.stringify({ lora_name: 'probe', lora_path: lora }));
      answers.push({ status: res.status, body: await res.json() });
    }
    expect(new Set(answers.map((a) => JSON.stringify(a))).size).toBe(1);
    expect(answers[0]).toEqual({ status: 400, body: { error: { message: 'lora_path: no PEFT adapter could be loaded from this path (the server log says why)', type: 'invalid_request_error', param: 'lora_path', code: null } } });
  });

  it('takes its API key from RETORT_SERVE_API_KEY when none is given', async () => {
    process.env.RETORT_SERVE_API_KEY = 'from-env';
    const keyed = await startServe({ models: [{ name: 'tiny', dir }], port: 0, log: () => undefined });
    try {
      expect((await fetch(`${keyed.url}/v1/models`)).status).toBe(401);
      expect((await fetch(`${keyed.url}/v1/models`, { headers: { Authorization: 'Bearer from-env' } })).status).toBe(200);
    } finally {
      delete process.env.RETORT_SERVE_API_KEY;
      await keyed.close();
    }
  });
});
