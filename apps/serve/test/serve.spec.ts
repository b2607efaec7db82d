import OpenAI from 'openai';
import { generate, GenerateOptions, initBackend, loadAdapter, loadModel, Model } from '@retort/engine';
import { ChatTokenizer } from '@retort/tokenizer';
import { ServeHandle, startServe } from '../src/main';
import { randomAdapterDir, readSse, tinyModelDir } from './helpers';

let dir: string;
let adapterDir: string;
let serve: ServeHandle;
let client: OpenAI;
let model: Model;
let tok: ChatTokenizer;

const MESSAGES = [
  { role: 'system' as const, content: 'You are terse.' },
  { role: 'user' as const, content: 'Say something.' },
];

/** The engine's own generate, as a server should reproduce it. */
function engineGenerate(promptIds: number[], opts: GenerateOptions = {}) {
  return generate(model, promptIds, {
    stopTokenIds: [tok.eosTokenId!],
    decode: (ids) => tok.decode(ids, { skipSpecialTokens: true }),
    ...opts,
  });
}

const chatPrompt = () => tok.encode(tok.applyChatTemplate(MESSAGES, { addGenerationPrompt: true }));
const idsOf = (tokens: { token: string }[]) => tokens.map((t) => Number(t.token.replace('token_id:', '')));

async function post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${serve.url}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
}

beforeAll(async () => {
  await initBackend(undefined, () => undefined);
  dir = tinyModelDir(3);
  adapterDir = randomAdapterDir(dir, 7);
  model = loadModel(dir);
  tok = ChatTokenizer.fromDir(dir);
  serve = await startServe({ models: [{ dir }], port: 0, log: () => undefined });
  client = new OpenAI({ baseURL: `${serve.url}/v1`, apiKey: 'unused', maxRetries: 0 });
});

afterAll(async () => {
  await serve?.close();
});

describe('retort serve', () => {
  it('answers /health and lists the base model in /v1/models', async () => {
    expect((await fetch(`${serve.url}/health`)).status).toBe(200);
    const list = await client.models.list();
    expect(list.data.map((m) => m.id)).toEqual(['tiny']);
    expect(list.data[0]).toMatchObject({ object: 'model', owned_by: 'retort', parent: null, root: dir, max_model_len: 256 });
    expect((await client.models.retrieve('tiny')).id).toBe('tiny');
  });

  it('chat completions: greedy decoding gives the engine generate tokens, whole and streamed', async () => {
    const ref = await engineGenerate(chatPrompt(), { maxNewTokens: 16, topLogprobs: 3 });
    const body = { model: 'tiny', messages: MESSAGES, max_tokens: 16, temperature: 0, logprobs: true, top_logprobs: 3 };
    const whole = await client.chat.completions.create({ ...body, return_tokens_as_token_ids: true } as OpenAI.ChatCompletionCreateParamsNonStreaming);
    const choice = whole.choices[0];
    expect(whole.object).toBe('chat.completion');
    expect(whole.id).toMatch(/^chatcmpl-/);
    expect(idsOf(choice.logprobs!.content!)).toEqual(ref.ids);
    expect(choice.message).toMatchObject({ role: 'assistant', content: ref.text });
    expect(choice.finish_reason).toBe(ref.finishReason);
    expect(whole.usage).toEqual({ prompt_tokens: chatPrompt().length, completion_tokens: ref.ids.length, total_tokens: chatPrompt().length + ref.ids.length });
    choice.logprobs!.content!.forEach((t, i) => {
      expect(t.logprob).toBeCloseTo(ref.tokens[i].logprob, 4);
      expect(t.top_logprobs).toHaveLength(3);
      expect(t.top_logprobs[0].token).toBe(t.token); // greedy: the chosen token is the most likely
      expect(t.top_logprobs[0].logprob).toBeCloseTo(t.logprob, 6);
      expect(idsOf(t.top_logprobs)).toEqual(ref.tokens[i].top!.map((x) => x.id));
    });

    // Streamed through the OpenAI client: same text, same tokens, usage in a last chunk.
    const stream = await client.chat.completions.create({ ...body, stream: true, stream_options: { include_usage: true } });
    let content = '';
    let role: string | undefined;
    const streamed: OpenAI.ChatCompletionTokenLogprob[] = [];
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      expect(chunk.object).toBe('chat.completion.chunk');
      if (chunk.usage) usage = chunk.usage;
      for (const c of chunk.choices) {
        role ??= c.delta.role;
        content += c.delta.content ?? '';
        streamed.push(...(c.logprobs?.content ?? []));
        finish = c.finish_reason ?? finish;
      }
    }
    expect(role).toBe('assistant');
    expect(content).toBe(ref.text);
    expect(finish).toBe(ref.finishReason);
    expect(usage).toEqual(whole.usage);
    const wholeTokens = (await client.chat.completions.create(body as OpenAI.ChatCompletionCreateParamsNonStreaming)).choices[0].logprobs!.content!;
    expect(streamed).toEqual(wholeTokens);
  });

  it('logprobs carry OpenAI fields: token, logprob, UTF-8 bytes and sorted alternatives', async () => {
    const res = await client.chat.completions.create({ model: 'tiny', messages: MESSAGES, max_tokens: 6, temperature: 0, logprobs: true, top_logprobs: 5 });
    const content = res.choices[0].logprobs!.content!;
    expect(content.length).toBeGreaterThan(0);
    for (const t of content) {
      expect(Object.keys(t).sort()).toEqual(['bytes', 'logprob', 'token', 'top_logprobs']);
      expect(typeof t.token).toBe('string');
      expect(t.logprob).toBeLessThanOrEqual(0);
      expect(t.bytes!.every((b) => Number.isInteger(b) && b >= 0 && b < 256)).toBe(true);
      const lps = t.top_logprobs.map((x) => x.logprob);
      expect([...lps].sort((a, b) => b - a)).toEqual(lps);
      expect(t.top_logprobs.every((x) => Object.keys(x).sort().join() === 'bytes,logprob,token')).toBe(true);
    }
    // Byte-level tokens: each generated token is one byte (or a special token).
    const single = content.filter((t) => t.bytes!.length === 1);
    expect(single.length).toBeGreaterThan(0);
    // Without logprobs: null.
    const plain = await client.chat.completions.create({ model: 'tiny', messages: MESSAGES, max_tokens: 2, temperature: 0 });
    expect(plain.choices[0].logprobs).toBeNull();
  });

  it('stop sequences cut the text as the engine does, whole and streamed', async () => {
    const prompt = chatPrompt();
    const free = await engineGenerate(prompt, { maxNewTokens: 40 });
    const text = free.text!;
    // A stop string from the middle of the free-running text (avoiding pieces of incomplete characters).
    let at = Math.floor(text.length / 2);
    while (at < text.length - 1 && text.slice(at, at + 2).includes('\ufffd')) at++;
    const stop = text.slice(at, at + 2);
    expect(stop.length).toBe(2);
    const ref = await engineGenerate(prompt, { maxNewTokens: 40, stop: [stop, 'never-there'] });
    expect(ref.finishReason).toBe('stop');
    const body = { model: 'tiny', messages: MESSAGES, max_tokens: 40, temperature: 0, stop: [stop, 'never-there'] };
    const res = await client.chat.completions.create(body);
    expect(res.choices[0].message.content).toBe(ref.text);
    expect(res.choices[0].message.content).not.toContain(stop);
    expect(res.choices[0].finish_reason).toBe('stop');
    expect(res.usage!.completion_tokens).toBe(ref.ids.length);
    let streamed = '';
    for await (const chunk of await client.chat.completions.create({ ...body, stop, stream: true })) streamed += chunk.choices[0]?.delta.content ?? '';
    expect(streamed).toBe(ref.text);
    // Length-limited: finish_reason length.
    const short = await client.chat.completions.create({ model: 'tiny', messages: MESSAGES, max_tokens: 3, temperature: 0, ignore_eos: true } as OpenAI.ChatCompletionCreateParamsNonStreaming);
    expect(short.choices[0].finish_reason).toBe('length');
    expect(short.usage!.completion_tokens).toBe(3);
  });

  it('n choices: indexed, reproducible with a seed, different when sampling', async () => {
    const body = { model: 'tiny', messages: MESSAGES, max_tokens: 12, temperature: 1.5, n: 3, seed: 42, ignore_eos: true } as OpenAI.ChatCompletionCreateParamsNonStreaming;
    const a = await client.chat.completions.create(body);
    const b = await client.chat.completions.create(body);
    expect(a.choices.map((c) => c.index)).toEqual([0, 1, 2]);
    expect(a.choices.map((c) => c.message.content)).toEqual(b.choices.map((c) => c.message.content));
    expect(new Set(a.choices.map((c) => c.message.content)).size).toBeGreaterThan(1);
    expect(a.usage!.completion_tokens).toBe(36);
    const greedy = await client.chat.completions.create({ ...body, temperature: 0, n: 2 });
    expect(greedy.choices[0].message.content).toBe(greedy.choices[1].message.content);
    // Streamed: every choice has its role chunk, its content and its finish chunk.
    const seen = new Map<number, string>();
    const finished = new Set<number>();
    for await (const chunk of await client.chat.completions.create({ ...body, stream: true })) {
      for (const c of chunk.choices) {
        seen.set(c.index, (seen.get(c.index) ?? '') + (c.delta.content ?? ''));
        if (c.finish_reason) finished.add(c.index);
      }
    }
    expect([...seen.entries()].sort(([x], [y]) => x - y).map(([, t]) => t)).toEqual(a.choices.map((c) => c.message.content));
    expect([...finished].sort()).toEqual([0, 1, 2]);
  });

  it('completions: text and legacy logprobs, whole and streamed', async () => {
    const prompt = 'The quick brown fox';
    const ref = await engineGenerate(tok.encode(prompt, { addSpecialTokens: true }), { maxNewTokens: 10, topLogprobs: 2 });
    const res = await client.completions.create({ model: 'tiny', prompt, max_tokens: 10, temperature: 0, logprobs: 2 });
    expect(res.object).toBe('text_completion');
    const c = res.choices[0];
    expect(c.text).toBe(ref.text);
    expect(c.finish_reason).toBe(ref.finishReason);
    const lp = c.logprobs!;
    expect(lp.tokens).toHaveLength(ref.ids.length);
    expect(lp.token_logprobs!.map((x) => Number(x.toFixed(4)))).toEqual(ref.tokens.map((t) => Number(t.logprob.toFixed(4))));
    expect(lp.text_offset![0]).toBe(0);
    expect(lp.text_offset!.every((o, i) => i === 0 || o >= lp.text_offset![i - 1])).toBe(true);
    lp.top_logprobs!.forEach((top) => {
      expect(Object.keys(top).length).toBeGreaterThanOrEqual(1);
      expect(Object.keys(top).length).toBeLessThanOrEqual(3);
    });
    // Token strings of byte pieces collide (many read U+FFFD): with token ids the dicts are exact.
    const exact = (await client.completions.create({ model: 'tiny', prompt, max_tokens: 10, temperature: 0, logprobs: 2, return_tokens_as_token_ids: true } as OpenAI.CompletionCreateParamsNonStreaming)).choices[0].logprobs!;
    expect(exact.tokens!.map((t) => Number(t.replace('token_id:', '')))).toEqual(ref.ids);
    exact.top_logprobs!.forEach((top, i) => {
      expect(Object.keys(top)).toEqual(ref.tokens[i].top!.map((t) => `token_id:${t.id}`)); // greedy: the chosen one is first
      expect(top[exact.tokens![i]]).toBeCloseTo(exact.token_logprobs![i], 6);
    });
    // Token-id prompts, and a streamed answer with the same text.
    const byIds = await client.completions.create({ model: 'tiny', prompt: tok.encode(prompt), max_tokens: 10, temperature: 0 });
    expect(byIds.choices[0].text).toBe(ref.text);
    let streamed = '';
    for await (const chunk of await client.completions.create({ model: 'tiny', prompt, max_tokens: 10, temperature: 0, stream: true })) streamed += chunk.choices[0]?.text ?? '';
    expect(streamed).toBe(ref.text);
    // Raw stream: data lines ending with [DONE].
    const raw = await readSse(await post('/v1/completions', { model: 'tiny', prompt, max_tokens: 3, temperature: 0, stream: true, stream_options: { include_usage: true } }));
    expect(raw[raw.length - 1]).toBe('[DONE]');
    expect(raw[raw.length - 2]).toMatchObject({ choices: [], usage: { prompt_tokens: tok.encode(prompt).length } });
  });

  it('loads a LoRA adapter at run time, serves it by name, and unloads it', async () => {
    const load = await post('/v1/load_lora_adapter', { lora_name: 'sharp', lora_path: adapterDir });
    expect(load.status).toBe(200);
    expect(await load.text()).toContain("'sharp'");
    const models = await client.models.list();
    expect(models.data.find((m) => m.id === 'sharp')).toMatchObject({ object: 'model', parent: 'tiny', root: adapterDir });

    // The adapter's answer is the engine's with the adapter, and differs from the base's.
    const lora = loadAdapter(adapterDir, model);
    const ref = await engineGenerate(chatPrompt(), { maxNewTokens: 8, lora, topLogprobs: 1 });
    const body = { messages: MESSAGES, max_tokens: 8, temperature: 0, logprobs: true, return_tokens_as_token_ids: true };
    const withAdapter = await client.chat.completions.create({ ...body, model: 'sharp' } as OpenAI.ChatCompletionCreateParamsNonStreaming);
    const base = await client.chat.completions.create({ ...body, model: 'tiny' } as OpenAI.ChatCompletionCreateParamsNonStreaming);
    expect(withAdapter.model).toBe('sharp');
    expect(idsOf(withAdapter.choices[0].logprobs!.content!)).toEqual(ref.ids);
    expect(withAdapter.choices[0].logprobs!.content![0].logprob).toBeCloseTo(ref.tokens[0].logprob, 4);
    expect(withAdapter.choices[0].logprobs!.content![0].logprob).not.toBeCloseTo(base.choices[0].logprobs!.content![0].logprob, 3);

    // Loading a name that exists is an error until it is unloaded.
    const again = await post('/v1/load_lora_adapter', { lora_name: 'sharp', lora_path: adapterDir });
    expect(again.status).toBe(400);
    expect((await again.json()).error).toMatchObject({ type: 'invalid_request_error', param: 'lora_name' });

    const unload = await post('/v1/unload_lora_adapter', { lora_name: 'sharp' });
    expect(unload.status).toBe(200);
    expect((await client.models.list()).data.map((m) => m.id)).toEqual(['tiny']);
    const gone = await post('/v1/chat/completions', { ...body, model: 'sharp' });
    expect(gone.status).toBe(404);
    expect(await gone.json()).toEqual({ error: { message: expect.stringContaining('sharp'), type: 'NotFoundError', param: 'model', code: 'model_not_found' } });
    expect((await post('/v1/unload_lora_adapter', { lora_name: 'sharp' })).status).toBe(404);

    // ... and can be loaded again under the same name.
    expect((await post('/v1/load_lora_adapter', { lora_name: 'sharp', lora_path: adapterDir })).status).toBe(200);
    const reloaded = await client.chat.completions.create({ ...body, model: 'sharp' } as OpenAI.ChatCompletionCreateParamsNonStreaming);
    expect(reloaded.choices[0].message.content).toBe(withAdapter.choices[0].message.content);
    expect((await post('/v1/unload_lora_adapter', { lora_name: 'sharp' })).status).toBe(200);
  });

  it('answers errors in OpenAI shape, naming the field', async () => {
    const cases: [unknown, number, string | null][] = [
      [{ model: 'tiny' }, 400, 'messages'],
      [{ messages: MESSAGES }, 400, 'model'],
      [{ model: 'tiny', messages: MESSAGES, temperature: 'hot' }, 400, 'temperature'],
      [{ model: 'tiny', messages: MESSAGES, top_logprobs: 3 }, 400, 'top_logprobs'],
      [{ model: 'tiny', messages: MESSAGES, logprobs: true, top_logprobs: 21 }, 400, 'top_logprobs'],
      [{ model: 'tiny', messages: MESSAGES, n: 0 }, 400, 'n'],
      [{ model: 'tiny', messages: MESSAGES, stop: [1] }, 400, 'stop[0]'],
      [{ model: 'tiny', messages: MESSAGES, max_tokens: 100000 }, 400, 'max_tokens'],
      [{ model: 'tiny', messages: [{ content: 'hi' }] }, 400, 'messages[0].role'],
      [{ model: 'tiny', messages: MESSAGES, frequency_penalty: 0.5 }, 400, 'frequency_penalty'],
      [{ model: 'nope', messages: MESSAGES }, 404, 'model'],
    ];
    for (const [body, status, param] of cases) {
      const res = await post('/v1/chat/completions', body);
      expect([res.status, param]).toEqual([status, param]);
      const json = await res.json();
      expect(Object.keys(json.error).sort()).toEqual(['code', 'message', 'param', 'type']);
      expect(json.error.param).toBe(param);
      if (param) expect(json.error.message).toContain(param);
    }
    const badJson = await post('/v1/chat/completions', '{"model": ');
    expect(badJson.status).toBe(400);
    expect((await badJson.json()).error.type).toBe('invalid_request_error');
    expect((await post('/v1/completions', { model: 'tiny', prompt: [9999] })).status).toBe(400);
    expect((await post('/v1/load_lora_adapter', { lora_name: 'x', lora_path: '/does/not/exist' })).status).toBe(400);
    expect((await fetch(`${serve.url}/v1/nothing`)).status).toBe(404);
    await expect(client.chat.completions.create({ model: 'nope', messages: MESSAGES })).rejects.toMatchObject({ status: 404, code: 'model_not_found' });
  });

  it('serves one generation at a time and stays responsive meanwhile; a dropped stream frees the model', async () => {
    const long = { model: 'tiny', messages: MESSAGES, max_tokens: 190, temperature: 0, ignore_eos: true };
    const lock = serve.registry.bases.get('tiny')!.lock;
    const timed = async () => {
      const t0 = Date.now();
      await client.chat.completions.create(long);
      return Date.now() - t0;
    };
    const full = await timed();

    // While a stream is generating, /health and /v1/models answer before it ends.
    const order: string[] = [];
    const stream = await client.chat.completions.create({ ...long, stream: true });
    const it = stream[Symbol.asyncIterator]();
    await it.next();
    const rest = (async () => {
      while (!(await it.next()).done);
      order.push('stream');
    })();
    const health = fetch(`${serve.url}/health`).then((r) => (order.push('health'), r.status));
    const models = client.models.list().then(() => order.push('models'));
    expect(await health).toBe(200);
    await Promise.all([rest, models]);
    expect(order[2]).toBe('stream');

    // Concurrent requests queue in arrival order and each gets the whole model.
    const done: string[] = [];
    const [a, b] = await Promise.all([
      client.chat.completions.create(long).then((r) => (done.push('a'), r)),
      client.chat.completions.create(long).then((r) => (done.push('b'), r)),
    ]);
    expect(done).toEqual(['a', 'b']);
    expect(a.choices[0].message.content).toBe(b.choices[0].message.content);

    // A client that goes away mid-stream stops its generation at the next token.
    const abort = new AbortController();
    const res = await fetch(`${serve.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ ...long, stream: true }),
      signal: abort.signal,
    });
    await res.body!.getReader().read();
    expect(lock.state.running).toBe(true);
    const t0 = Date.now();
    abort.abort();
    while (lock.state.running) await new Promise((r) => setTimeout(r, 2));
    expect(Date.now() - t0).toBeLessThan(full / 4);
  });

  it('requires the API key when one is set (but not for /health)', async () => {
    const locked = await startServe({ models: [{ name: 'locked', dir }], port: 0, apiKey: 'sesame', log: () => undefined });
    try {
      expect((await fetch(`${locked.url}/health`)).status).toBe(200);
      const denied = await fetch(`${locked.url}/v1/models`);
      expect(denied.status).toBe(401);
      expect((await denied.json()).error.code).toBe('invalid_api_key');
      expect((await fetch(`${locked.url}/v1/models`, { headers: { Authorization: 'Bearer wrong' } })).status).toBe(401);
      const ok = new OpenAI({ baseURL: `${locked.url}/v1`, apiKey: 'sesame', maxRetries: 0 });
      expect((await ok.models.list()).data[0].id).toBe('locked');
    } finally {
      await locked.close();
    }
  });
});

describe('retort serve --quant nf4', () => {
  it('serves a QLoRA (NF4) base with the tokens of the engine on the same base, adapters included', async () => {
    const nf4 = await startServe({ models: [{ name: 'q', dir }], adapters: [{ name: 'q-sharp', path: adapterDir }], port: 0, quant: 'nf4', log: () => undefined });
    try {
      const quantized = loadModel(dir, { quant: 'nf4' });
      const lora = loadAdapter(adapterDir, quantized);
      for (const [name, adapter] of [['q', undefined], ['q-sharp', lora]] as const) {
        const ref = await generate(quantized, [1, 2, 3], { maxNewTokens: 6, stopTokenIds: [tok.eosTokenId!], lora: adapter });
        const res = await fetch(`${nf4.url}/v1/completions`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ model: name, prompt: [1, 2, 3], max_tokens: 6, temperature: 0, logprobs: 0, return_tokens_as_token_ids: true }),
        });
        const body = (await res.json()) as { choices: { logprobs: { tokens: string[] } }[] };
        expect(body.choices[0].logprobs.tokens).toEqual(ref.ids.map((id) => `token_id:${id}`));
      }
    } finally {
      await nf4.close();
    }
  });
});
