import * as fs from 'node:fs';
import * as path from 'node:path';
import { generate, initBackend, loadModel } from '@retort/engine';
import { ChatTokenizer } from '@retort/tokenizer';
import { ServeHandle, startServe } from '../src/main';
import { readSse, tinyModelDir } from './helpers';

/** A generation whose first token is a stop token is an empty answer that stopped, as vLLM gives it. */
describe('retort serve: a stop token as the first generated token', () => {
  const MESSAGES = [{ role: 'user', content: 'Say something.' }];
  const PROMPT = 'Once upon a time';
  let serve: ServeHandle;
  let completionFirst: number;

  beforeAll(async () => {
    await initBackend(undefined, () => undefined);
    const dir = tinyModelDir(5);
    const model = loadModel(dir);
    const tok = ChatTokenizer.fromDir(dir);
    const first = async (text: string) => (await generate(model, tok.encode(text), { maxNewTokens: 1 })).ids[0];
    const chatFirst = await first(tok.applyChatTemplate(MESSAGES, { addGenerationPrompt: true }));
    completionFirst = await first(PROMPT);
    // Chat stops at an EOS id from generation_config.json; completions at a request's stop_token_ids.
    const genFile = path.join(dir, 'generation_config.json');
    const gen = JSON.parse(fs.readFileSync(genFile, 'utf8'));
    fs.writeFileSync(genFile, JSON.stringify({ ...gen, eos_token_id: [gen.eos_token_id, chatFirst].flat() }));
    serve = await startServe({ models: [{ dir }], port: 0, log: () => undefined });
  });
  afterAll(async () => {
    await serve?.close();
  });

  const post = (route: string, body: object) => fetch(`${serve.url}${route}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });

  it('chat completions: 200, empty content, finish_reason stop, whole and streamed', async () => {
    const body = { model: 'tiny', messages: MESSAGES, max_tokens: 8, temperature: 0 };
    const whole = await post('/v1/chat/completions', body);
    expect(whole.status).toBe(200);
    const json = await whole.json();
    expect(json.choices[0]).toMatchObject({ message: { role: 'assistant', content: '' }, finish_reason: 'stop' });
    expect(json.usage.completion_tokens).toBe(1);

    const streamed = await post('/v1/chat/completions', { ...body, stream: true });
    expect(streamed.status).toBe(200);
    const chunks = (await readSse(streamed)) as any[];
    expect(chunks.pop()).toBe('[DONE]');
    expect(chunks.map((c) => c.choices[0].delta.content ?? '').join('')).toBe('');
    expect(chunks[chunks.length - 1].choices[0].finish_reason).toBe('stop');
  });

  it('completions: 200, empty text, finish_reason stop, whole and streamed', async () => {
    const body = { model: 'tiny', prompt: PROMPT, max_tokens: 8, temperature: 0, stop_token_ids: [completionFirst] };
    const whole = await post('/v1/completions', body);
    expect(whole.status).toBe(200);
    const json = await whole.json();
    expect(json.choices[0]).toMatchObject({ text: '', finish_reason: 'stop' });

    const streamed = await post('/v1/completions', { ...body, stream: true });
    expect(streamed.status).toBe(200);
    const chunks = (await readSse(streamed)) as any[];
    expect(chunks.pop()).toBe('[DONE]');
    expect(chunks.map((c) => c.choices[0].text).join('')).toBe('');
    expect(chunks[chunks.length - 1].choices[0].finish_reason).toBe('stop');
  });
});
