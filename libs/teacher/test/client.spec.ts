import { createTeacherClient, seededRandom, TeacherError, type TeacherClient, type TeacherClientConfig, type TeacherRequest } from '../src';
import { startFakeOpenAI, type FakeOpenAIOptions, type FakeOpenAIServer } from './fake-openai-server';

let server: FakeOpenAIServer;
const clients: TeacherClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await server?.close();
});

async function setup(options: FakeOpenAIOptions = {}, config: Partial<TeacherClientConfig> = {}) {
  server = await startFakeOpenAI(options);
  const client = createTeacherClient({
    baseUrl: server.baseUrl,
    model: 'teacher',
    maxConcurrency: 4,
    timeoutMs: 5000,
    maxRetries: 3,
    backoff: { baseMs: 5, maxMs: 20 },
    random: seededRandom(1),
    ...config,
  });
  clients.push(client);
  return client;
}

const ask = (prompt: string, more: Partial<TeacherRequest> = {}): TeacherRequest => ({ messages: [{ role: 'user', content: prompt }], max_tokens: 16, ...more });
/**
 * How far arrivals overshoot a token bucket of `capacity` refilled at `perMs`: the largest
 * (cost of arrivals i..j) − capacity − perMs·(t_j − t_i) over every window (≤ 0 when respected).
 */
function bucketOvershoot(arrivals: number[], capacity: number, perMs: number, cost = 1): number {
  const t = [...arrivals].sort((a, b) => a - b);
  let worst = -Infinity;
  for (let i = 0; i < t.length; i++) for (let j = i; j < t.length; j++) worst = Math.max(worst, (j - i + 1) * cost - capacity - perMs * (t[j] - t[i]));
  return worst;
}

const waitFor = async (cond: () => boolean, ms = 2000) => {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
  return cond();
};

describe('complete', () => {
  it('returns n samples with usage and attempts, sending the sampling fields', async () => {
    const client = await setup();
    const r = await client.complete(ask('hi', { n: 3, temperature: 0.7, top_p: 0.9, seed: 5, stop: ['\n\n'] }));
    expect(r.samples).toEqual([0, 1, 2].map((i) => ({ index: i, content: `answer ${i} to: hi`, reasoning: null, finishReason: 'stop' })));
    expect(r.attempts).toBe(1);
    expect(r.usage).toEqual({ promptTokens: 1, completionTokens: 12 });
    expect(r.latencyMs).toBeGreaterThan(0);
    expect(server.stats.bodies[0]).toEqual({ model: 'teacher', messages: [{ role: 'user', content: 'hi' }], n: 3, max_tokens: 16, temperature: 0.7, top_p: 0.9, seed: 5, stop: ['\n\n'] });
  });

  it('sends only role and content of each message, and per-call headers', async () => {
    const client = await setup({}, { headers: { 'X-Team': 'ml' } });
    const message = { role: 'user', content: 'hi', weight: 0 } as TeacherRequest['messages'][number];
    await client.complete({ messages: [message], max_tokens: 4 }, { headers: { 'X-Prompt-Id': 'p1' } });
    expect(server.stats.bodies[0].messages).toEqual([{ role: 'user', content: 'hi' }]);
    expect(server.stats.headers[0]).toMatchObject({ 'x-team': 'ml', 'x-prompt-id': 'p1', 'content-type': 'application/json' });
  });

  it('sends no Authorization header without a key, and the bearer token with one', async () => {
    let client = await setup();
    await client.complete(ask('a'));
    expect(server.stats.headers[0].authorization).toBeUndefined();
    await server.close();
    client = await setup({ apiKey: 'sk-test' }, { apiKey: 'sk-test' });
    await client.complete(ask('a'));
    expect(server.stats.headers[0].authorization).toBe('Bearer sk-test');
  });

  it('splits reasoning from reasoning_content and from inline <think> blocks', async () => {
    let client = await setup({ reasoning: 'field' });
    expect((await client.complete(ask('q'))).samples[0]).toMatchObject({ content: 'answer 0 to: q', reasoning: 'thinking 0 about: q' });
    await server.close();
    client = await setup({ reasoning: 'inline' });
    expect((await client.complete(ask('q'))).samples[0]).toMatchObject({ content: 'answer 0 to: q', reasoning: 'thinking 0 about: q' });
  });

  it('asks for top-k logprobs and keeps them per token', async () => {
    const client = await setup();
    const r = await client.complete(ask('x', { logprobs: 3 }));
    expect(server.stats.bodies[0]).toMatchObject({ logprobs: true, top_logprobs: 3 });
    const lp = r.samples[0].logprobs!;
    expect(lp.map((t) => t.token).join('')).toBe('answer 0 to: x');
    expect(lp[0]).toEqual({ token: 'answer', logprob: -0.01, top: [{ token: 'answer', logprob: -0.01 }, { token: 'answer~1', logprob: -1.01 }, { token: 'answer~2', logprob: -2.01 }] });
    await expect(client.complete(ask('x', { logprobs: 21 }))).rejects.toThrow(/0\.\.20/);
  });

  it('a server that ignores n still yields n samples, with distinct seeds, and is remembered', async () => {
    const client = await setup({ maxN: 1, answer: (req) => `seed ${req.body.seed}` });
    const r = await client.complete(ask('p', { n: 4, seed: 7 }));
    expect(r.samples.map((s) => [s.index, s.content])).toEqual([
      [0, 'seed 7'],
      [1, 'seed 8'],
      [2, 'seed 9'],
      [3, 'seed 10'],
    ]);
    expect(r.attempts).toBe(4);
    expect(server.stats.bodies.map((b) => b.n)).toEqual([4, 1, 1, 1]);
    server.reset();
    await client.complete(ask('p', { n: 3 }));
    expect(server.stats.bodies.map((b) => b.n)).toEqual([1, 1, 1]);
  });

  it('a server that caps n gets requests of its size', async () => {
    const client = await setup({ maxN: 2 });
    const r = await client.complete(ask('p', { n: 5 }));
    expect(r.samples.map((s) => s.index)).toEqual([0, 1, 2, 3, 4]);
    expect(server.stats.bodies.map((b) => b.n)).toEqual([5, 2, 1]);
  });

  it('never has more than maxConcurrency requests in flight', async () => {
    const client = await setup({ latencyMs: 20 }, { maxConcurrency: 3 });
    let clientMax = 0;
    const probe = setInterval(() => (clientMax = Math.max(clientMax, client.stats().inFlight)), 2);
    await Promise.all(Array.from({ length: 15 }, (_, i) => client.complete(ask(`p${i}`))));
    clearInterval(probe);
    expect(server.stats.maxInFlight).toBe(3);
    expect(clientMax).toBeLessThanOrEqual(3);
    expect(client.stats()).toMatchObject({ requests: 15, inFlight: 0, waiting: 0, retries: 0 });
  });
});

describe('rate limits', () => {
  it('requests per minute: a one-second burst, then the rate', async () => {
    const client = await setup({}, { maxConcurrency: 50, requestsPerMinute: 1200 }); // 20/s, burst 20
    const t0 = performance.now();
    await Promise.all(Array.from({ length: 30 }, (_, i) => client.complete(ask(`p${i}`))));
    const elapsed = performance.now() - t0;
    // Arrivals are timed at the server, so a busy machine can bunch a few sends: three requests of
    // slack (without the limiter all 30 arrive at once, an overshoot of about 10).
    expect(bucketOvershoot(server.stats.arrivals, 20, 20 / 1000)).toBeLessThanOrEqual(3);
    expect(elapsed).toBeGreaterThanOrEqual(450);
    expect(elapsed).toBeLessThan(5000);
  });

  it('tokens per minute: prompt chars/4 + max_tokens before sending', async () => {
    // 400 chars = 100 prompt tokens, + 100 max_tokens = 200 per request; the server reports the same.
    const client = await setup({ completionTokensPerChoice: 100 }, { maxConcurrency: 50, tokensPerMinute: 60_000 }); // 1000/s, burst 1000
    const prompt = (i: number) => `${i}`.padEnd(400, '.');
    const t0 = performance.now();
    await Promise.all(Array.from({ length: 10 }, (_, i) => client.complete(ask(prompt(i), { max_tokens: 100 }))));
    const elapsed = performance.now() - t0;
    expect(bucketOvershoot(server.stats.arrivals, 1000, 1, 200)).toBeLessThanOrEqual(400);
    expect(elapsed).toBeGreaterThanOrEqual(950); // 5 in the burst, then one per 200 ms
    expect(elapsed).toBeLessThan(5000);
  });

  it('tokens per minute: unused max_tokens come back once usage is known', async () => {
    // Estimated 1100 tokens each (more than the 1000 burst), really 101: without the correction
    // five sequential requests would take about 4.4 s.
    const client = await setup({ completionTokensPerChoice: 1 }, { maxConcurrency: 1, tokensPerMinute: 60_000 });
    const t0 = performance.now();
    for (let i = 0; i < 5; i++) await client.complete(ask(''.padEnd(400, 'x'), { max_tokens: 1000 }));
    expect(performance.now() - t0).toBeLessThan(3000);
  });
});

describe('retries', () => {
  it('honours Retry-After in seconds, and holds other senders meanwhile', async () => {
    const client = await setup({ respond: (r) => (r.index === 0 ? { status: 429, headers: { 'retry-after': '1' }, body: { error: { message: 'slow down' } } } : undefined) });
    const first = client.complete(ask('a'));
    await waitFor(() => server.stats.requests === 1);
    await new Promise((r) => setTimeout(r, 50));
    const second = client.complete(ask('b'));
    const [ra] = await Promise.all([first, second]);
    expect(ra.attempts).toBe(2);
    const [, t1, t2] = server.stats.arrivals;
    expect(Math.min(t1, t2) - server.stats.arrivals[0]).toBeGreaterThanOrEqual(990);
    expect(client.stats()).toMatchObject({ rateLimited: 1, retries: 1 });
  });

  it('honours Retry-After as an HTTP date', async () => {
    const client = await setup({
      respond: (r) => (r.index === 0 ? { status: 429, headers: { 'retry-after': new Date(Date.now() + 2000).toUTCString() } } : undefined),
    });
    const r = await client.complete(ask('a'));
    expect(r.attempts).toBe(2);
    expect(server.stats.arrivals[1] - server.stats.arrivals[0]).toBeGreaterThanOrEqual(950); // the date has 1 s resolution
  });

  it('gives up at once on a Retry-After beyond maxRetryAfterMs', async () => {
    const client = await setup({ respond: () => ({ status: 429, headers: { 'retry-after': '3600' } }) }, { maxRetryAfterMs: 60_000 });
    await expect(client.complete(ask('a'))).rejects.toThrow(/HTTP 429 Too Many Requests: injected 429 \(the server asks to retry after 3600 s/);
    expect(server.stats.requests).toBe(1);
  });

  it('retries 5xx with backoff, then succeeds', async () => {
    const client = await setup({ respond: (r) => (r.index < 2 ? { status: r.index === 0 ? 500 : 503 } : undefined) });
    const r = await client.complete(ask('a'));
    expect(r.attempts).toBe(3);
    expect(r.samples[0].content).toBe('answer 0 to: a');
    expect(client.stats()).toMatchObject({ requests: 3, retries: 2, failures: 0 });
  });

  it('tells the observer every attempt: the status of each failed one, then ok with the usage', async () => {
    const seen: { outcome: string; seconds: number; tokens?: number }[] = [];
    const observer = { attempt: (outcome: string, seconds: number, usage?: { promptTokens: number; completionTokens: number }) => void seen.push({ outcome, seconds, tokens: usage && usage.promptTokens + usage.completionTokens }) };
    const client = await setup({ respond: (r) => (r.index === 0 ? { status: 429 } : r.index === 1 ? { status: 503 } : undefined) }, { observer });
    const r = await client.complete(ask('a'));
    expect(seen.map((s) => s.outcome)).toEqual(['429', '503', 'ok']);
    expect(seen[2].tokens).toBe(r.usage.promptTokens + r.usage.completionTokens);
    expect(seen.every((s) => s.seconds >= 0 && s.seconds < 5)).toBe(true);
  });

  it('stops after maxRetries and says how many attempts were made', async () => {
    const client = await setup({ respond: () => ({ status: 502, body: 'Bad Gateway from proxy' }) }, { maxRetries: 2 });
    const err: TeacherError = await client.complete(ask('a')).catch((e) => e);
    expect(err).toBeInstanceOf(TeacherError);
    expect(err).toMatchObject({ kind: 'http', status: 502, attempts: 3, serverMessage: 'Bad Gateway from proxy' });
    expect(err.message).toMatch(/^teacher teacher at http:\/\/127\.0\.0\.1:\d+\/v1: HTTP 502 Bad Gateway: Bad Gateway from proxy \(gave up after 3 attempts\)$/);
  });

  it('surfaces a 400 at once with the server message, whatever its dialect', async () => {
    const bodies = [
      { object: 'error', message: "This model's maximum context length is 4096 tokens.", type: 'BadRequestError', code: 400 }, // vLLM (older)
      { error: { message: "This model's maximum context length is 4096 tokens.", type: 'invalid_request_error' } }, // OpenAI, vLLM ≥ 0.10
      { error: "This model's maximum context length is 4096 tokens.", error_type: 'validation' }, // TGI
    ];
    for (const body of bodies) {
      const client = await setup({ respond: () => ({ status: 400, body }) });
      const err: TeacherError = await client.complete(ask('a')).catch((e) => e);
      expect(err).toMatchObject({ kind: 'http', status: 400, retryable: false, attempts: 1, serverMessage: "This model's maximum context length is 4096 tokens." });
      expect(err.message).toContain("HTTP 400 Bad Request: This model's maximum context length is 4096 tokens.");
      expect(server.stats.requests).toBe(1);
      expect(client.stats().failures).toBe(1);
      await server.close();
    }
    const client = await setup({ respond: () => ({ status: 422, body: { detail: [{ loc: ['body', 'n'], msg: 'n must be at least 1' }] } }) });
    await expect(client.complete(ask('a'))).rejects.toThrow(/HTTP 422 Unprocessable Entity: n must be at least 1$/);
  });

  it('retries 408 and 409', async () => {
    const client = await setup({ respond: (r) => (r.index < 2 ? { status: r.index === 0 ? 408 : 409 } : undefined) });
    expect((await client.complete(ask('a'))).attempts).toBe(3);
  });

  it('a request with no answer within timeoutMs is retried', async () => {
    const client = await setup({ respond: (r) => (r.index === 0 ? { hang: true } : undefined) }, { timeoutMs: 200 });
    const t0 = performance.now();
    const r = await client.complete(ask('a'));
    expect(r.attempts).toBe(2);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(195);
    expect(await waitFor(() => server.stats.inFlight === 0)).toBe(true); // the hung request was closed
  });

  it('timeouts and resets on every attempt end in a timeout or connection error', async () => {
    let client = await setup({ respond: () => ({ hang: true }) }, { timeoutMs: 50, maxRetries: 1 });
    await expect(client.complete(ask('a'))).rejects.toMatchObject({ kind: 'timeout', attempts: 2, message: expect.stringMatching(/no answer within 50 ms \(gave up after 2 attempts\)/) });
    await server.close();
    client = await setup({ respond: () => ({ destroy: true }) }, { maxRetries: 1 });
    await expect(client.complete(ask('a'))).rejects.toMatchObject({ kind: 'connection', attempts: 2 });
  });

  it('an unreachable server is a connection error', async () => {
    server = await startFakeOpenAI();
    const baseUrl = server.baseUrl;
    await server.close();
    const client = createTeacherClient({ baseUrl, model: 'm', maxRetries: 1, backoff: { baseMs: 1, maxMs: 1 } });
    clients.push(client);
    await expect(client.complete(ask('a'))).rejects.toMatchObject({ kind: 'connection', message: expect.stringMatching(/connection failed \(.*ECONNREFUSED/) });
  });
});

describe('cancellation', () => {
  it("aborting the caller's signal stops queued, in-flight and backing-off requests", async () => {
    const client = await setup({ respond: (r) => (r.prompt === 'fails' ? { status: 500 } : { hang: true }) }, { maxConcurrency: 2, backoff: { baseMs: 10_000, maxMs: 10_000 } });
    const ac = new AbortController();
    const backingOff = client.complete(ask('fails'), { signal: ac.signal });
    await waitFor(() => client.stats().retries === 1);
    const others = Array.from({ length: 5 }, (_, i) => client.complete(ask(`p${i}`), { signal: ac.signal }));
    await waitFor(() => server.stats.requests === 3);
    const t0 = performance.now();
    ac.abort();
    const results = await Promise.allSettled([backingOff, ...others]);
    expect(performance.now() - t0).toBeLessThan(3000);
    for (const r of results) expect(r).toMatchObject({ status: 'rejected', reason: { kind: 'aborted' } });
    expect(await waitFor(() => server.stats.inFlight === 0)).toBe(true);
    expect(server.stats.requests).toBe(3); // 1 failed + 2 slots; the queued ones never went out
    expect(client.stats()).toMatchObject({ inFlight: 0, waiting: 0, failures: 0 });
  });

  it("the client's own signal stops everything, including calls made after it fired", async () => {
    const ac = new AbortController();
    const client = await setup({ respond: () => ({ hang: true }) }, { signal: ac.signal });
    const pending = client.complete(ask('a'));
    await waitFor(() => server.stats.requests === 1);
    ac.abort();
    await expect(pending).rejects.toMatchObject({ kind: 'aborted' });
    await expect(client.complete(ask('b'))).rejects.toMatchObject({ kind: 'aborted' });
    expect(server.stats.requests).toBe(1);
  });
});

describe('testConnection', () => {
  it('lists the models and finds the configured one', async () => {
    const client = await setup();
    const r = await client.testConnection();
    expect(r).toMatchObject({ ok: true, models: ['teacher'] });
    expect(r.error).toBeUndefined();
    expect(server.stats.requests).toBe(0);
  });

  it('falls back to a 1-token chat completion when /models is missing or does not list the model', async () => {
    let client = await setup({ models: false });
    expect(await client.testConnection()).toMatchObject({ ok: true, models: undefined });
    expect(server.stats.bodies[0]).toMatchObject({ model: 'teacher', max_tokens: 1 });
    await server.close();
    client = await setup({ model: 'served-under-another-name' });
    expect(await client.testConnection()).toMatchObject({ ok: true, models: ['served-under-another-name'] });
  });

  it('reports an authentication failure and an unreachable server', async () => {
    const client = await setup({ apiKey: 'right' }, { apiKey: 'wrong' });
    const r = await client.testConnection();
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/HTTP 401 Unauthorized: Invalid API key/);
    const baseUrl = server.baseUrl;
    await server.close();
    const goneClient = createTeacherClient({ baseUrl, model: 'm' });
    clients.push(goneClient);
    const gone = await goneClient.testConnection();
    expect(gone).toMatchObject({ ok: false, error: expect.stringMatching(/connection failed/) });
  });
});

describe('configuration', () => {
  it('appends /v1 to a bare origin and rejects nonsense', () => {
    expect(createTeacherClient({ baseUrl: 'http://h:8000', model: 'm' }).baseUrl).toBe('http://h:8000/v1');
    expect(createTeacherClient({ baseUrl: 'https://api.deepseek.com/v1/', model: 'm' }).baseUrl).toBe('https://api.deepseek.com/v1');
    expect(() => createTeacherClient({ baseUrl: 'gpu1:8000', model: 'm' })).toThrow(/must be http\(s\)|invalid teacher base URL/);
    expect(() => createTeacherClient({ baseUrl: 'not a url', model: 'm' })).toThrow(/invalid teacher base URL/);
  });

  it('a bare origin reaches /v1 on the server', async () => {
    await setup();
    const bare = createTeacherClient({ baseUrl: server.url, model: 'teacher' });
    clients.push(bare);
    expect((await bare.complete(ask('a'))).samples).toHaveLength(1);
  });

  it('close() ends the kept-alive connections and later calls fail', async () => {
    const client = await setup();
    await client.complete(ask('a'));
    await client.close();
    await expect(client.complete(ask('b'))).rejects.toThrow(/the client is closed/);
  });
});
