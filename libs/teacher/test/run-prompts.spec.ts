import { createTeacherClient, runPrompts, TeacherError, type PromptItem, type TeacherClient, type TeacherResult } from '../src';
import { startFakeOpenAI, type FakeOpenAIOptions, type FakeOpenAIServer } from './fake-openai-server';

let server: FakeOpenAIServer;
const clients: TeacherClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await server?.close();
});

async function setup(options: FakeOpenAIOptions = {}, maxConcurrency = 4) {
  server = await startFakeOpenAI(options);
  const client = createTeacherClient({ baseUrl: server.baseUrl, model: 'teacher', maxConcurrency, timeoutMs: 5000, maxRetries: 2, backoff: { baseMs: 1, maxMs: 5 } });
  clients.push(client);
  return client;
}

const prompts = (count: number): PromptItem[] =>
  Array.from({ length: count }, (_, i) => ({ id: `p${i}`, request: { messages: [{ role: 'user', content: `prompt p${i}` }], max_tokens: 8 } }));

describe('runPrompts', () => {
  it('answers every prompt once with bounded concurrency, calling back as each finishes', async () => {
    const client = await setup({ latencyMs: 10 });
    const persisted = new Map<string, TeacherResult>();
    const summary = await runPrompts(prompts(25), client, { onResult: (id, r) => void persisted.set(id, r), concurrency: 3 });
    expect(summary).toEqual({ completed: 25, failed: 0, skipped: 0, duplicates: 0 });
    expect(persisted.size).toBe(25);
    expect(persisted.get('p7')!.samples[0].content).toBe('answer 0 to: prompt p7');
    expect(server.stats.maxInFlight).toBe(3);
  });

  it('skips ids already done and processes a repeated id once', async () => {
    const client = await setup();
    const seen: string[] = [];
    const items = [...prompts(5), prompts(5)[2]];
    const summary = await runPrompts(items, client, { onResult: (id) => void seen.push(id), skip: new Set(['p0', 'p3']) });
    expect(summary).toEqual({ completed: 3, failed: 0, skipped: 2, duplicates: 1 });
    expect(seen.sort()).toEqual(['p1', 'p2', 'p4']);
    expect([...server.stats.received.keys()].sort()).toEqual(['prompt p1', 'prompt p2', 'prompt p4']);
  });

  it('after an interruption, a restart with the persisted ids answers every prompt exactly once', async () => {
    const client = await setup({ latencyMs: 15 }, 4);
    const all = prompts(40);
    const persisted = new Map<string, number>();
    const persist = (id: string) => void persisted.set(id, (persisted.get(id) ?? 0) + 1);
    const ac = new AbortController();
    const first = runPrompts(all, client, {
      signal: ac.signal,
      onResult: (id) => {
        persist(id);
        if (persisted.size === 10) ac.abort();
      },
    });
    await expect(first).rejects.toMatchObject({ kind: 'aborted' });
    const doneBefore = new Set(persisted.keys());
    expect(doneBefore.size).toBeGreaterThanOrEqual(10);
    expect(doneBefore.size).toBeLessThan(40);
    const received = new Map(server.stats.received);

    const second = await runPrompts(all, client, { onResult: persist, skip: doneBefore });
    expect(second.skipped).toBe(doneBefore.size);
    expect(second.completed).toBe(40 - doneBefore.size);
    expect([...persisted.values()].every((n) => n === 1)).toBe(true);
    expect(persisted.size).toBe(40);
    // Prompts done before the interruption were never asked again; only those in flight at the abort were asked twice.
    for (const id of doneBefore) expect(server.stats.received.get(`prompt ${id}`)).toBe(received.get(`prompt ${id}`));
    const askedTwice = [...server.stats.received.values()].filter((n) => n > 1).length;
    expect(askedTwice).toBeLessThanOrEqual(4);
  });

  it('hands failures to onError and carries on', async () => {
    const client = await setup({ respond: (r) => (r.prompt === 'prompt p3' ? { status: 400, body: { error: { message: 'prompt too long' } } } : undefined) });
    const errors = new Map<string, Error>();
    const done: string[] = [];
    const summary = await runPrompts(prompts(6), client, { onResult: (id) => void done.push(id), onError: (id, e) => void errors.set(id, e) });
    expect(summary).toEqual({ completed: 5, failed: 1, skipped: 0, duplicates: 0 });
    expect(errors.get('p3')).toBeInstanceOf(TeacherError);
    expect(errors.get('p3')!.message).toMatch(/HTTP 400 Bad Request: prompt too long/);
  });

  it('without onError the first failure stops the run once the requests in flight have settled', async () => {
    const client = await setup({ latencyMs: 20, respond: (r) => (r.prompt === 'prompt p1' ? { status: 400, latencyMs: 1 } : undefined) }, 4);
    let settled = false;
    let lateCallbacks = 0;
    const run = runPrompts(prompts(30), client, { onResult: () => void (settled && lateCallbacks++) });
    await expect(run).rejects.toMatchObject({ status: 400 });
    settled = true;
    await new Promise((r) => setTimeout(r, 60));
    expect(lateCallbacks).toBe(0);
    expect(server.stats.requests).toBeLessThan(30);
  });

  it('a failing onResult stops the run and rejects with its error', async () => {
    const client = await setup();
    await expect(
      runPrompts(prompts(10), client, {
        onResult: (id) => {
          if (id === 'p2') throw new Error('database down');
        },
        concurrency: 1,
      }),
    ).rejects.toThrow('database down');
    expect(server.stats.requests).toBe(3);
  });

  it('reads an async source one item at a time', async () => {
    const client = await setup();
    let pulled = 0;
    async function* source() {
      for (const p of prompts(8)) {
        pulled++;
        yield p;
      }
    }
    const summary = await runPrompts(source(), client, { onResult: () => undefined, concurrency: 3 });
    expect(summary.completed).toBe(8);
    expect(pulled).toBe(8);
  });
});
