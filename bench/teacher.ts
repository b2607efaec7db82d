/**
 * Teacher benchmark (issue item 9): generation throughput of @retort/teacher against a
 * latency-injected OpenAI-compatible server, and resume after an interruption.
 *
 * With concurrency C and per-request latency L a run should sustain ≥ 90% of C/L requests per
 * second. Each case sends about four seconds' worth of prompts (C/L x 4 s, at least 256;
 * BENCH_TEACHER_REQUESTS to fix the number) through runPrompts with the client's maxConcurrency = C,
 * after an untimed warm-up of a second's worth (at least four waves) that opens the connections and
 * warms both processes' JIT. With a fixed 512 requests the C=32, L=50 ms case lasted under a second,
 * and the freshly started server's warm-up dominated it (0.83-0.88); with 2048 it measured 0.92.
 *
 * The server runs in a child process, as a real teacher is another process. Each case also sends
 * the same requests with bare undici (no Retort client), the floor that loopback HTTP sets here.
 *
 * BENCH_TEACHER_URL (+ BENCH_TEACHER_MODEL) points the throughput cases at a real server instead
 * (e.g. `retort serve`); L is then the mean latency the server showed during the run.
 */
import { fork, type ChildProcess } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import { Agent, request } from 'undici';
import { createTeacherClient, runPrompts, type PromptItem, type TeacherClient } from '@retort/teacher';

/** Requests in one timed case: four seconds' worth at C/L, or BENCH_TEACHER_REQUESTS. */
function requestsFor(concurrency: number, latencyMs: number | undefined): number {
  if (process.env.BENCH_TEACHER_REQUESTS) return Number(process.env.BENCH_TEACHER_REQUESTS);
  return latencyMs ? Math.max(256, Math.round((4000 * concurrency) / latencyMs)) : 512;
}

/** Untimed warm-up requests: a second's worth, at least four waves. */
const warmupFor = (concurrency: number, latencyMs: number | undefined) => Math.max(4 * concurrency, Math.round((1000 * concurrency) / (latencyMs ?? 1000)));
const CONCURRENCY = [8, 32];
const LATENCY_MS = [50, 200];
const TARGET = 0.9;

export interface TeacherCase {
  concurrency: number;
  latencyMs: number;
  requests: number;
  ideal: number;
  achieved: number;
  ratio: number;
  meanLatencyMs: number;
  /** req/s of bare undici requests (same server, body and concurrency, no Retort client): the HTTP floor. */
  bareHttp: number;
  pass: boolean;
}

export interface InterruptionFigures {
  prompts: number;
  doneBeforeAbort: number;
  persistedOnce: number;
  /** Prompts in flight at the abort, asked again after the restart (their answers were never persisted). */
  reaskedAfterAbort: number;
  /** Prompts done before the abort that the server saw again after the restart (must be 0). */
  doneReasked: number;
  ok: boolean;
}

/** The fake server in a child process, driven by IPC messages. */
interface ServerHandle {
  baseUrl: string;
  received(): Promise<Map<string, number>>;
  reset(): Promise<void>;
  close(): Promise<void>;
}

async function startServerProcess(latencyMs: number): Promise<ServerHandle> {
  const child: ChildProcess = fork(path.join(__dirname, 'teacher-server.ts'), [String(latencyMs)], { execArgv: ['-r', '@swc-node/register'] });
  const ask = <T>(message: string) =>
    new Promise<T>((resolve, reject) => {
      child.once('message', (m) => resolve(m as T));
      child.once('error', reject);
      if (message) child.send(message);
    });
  const { baseUrl } = await ask<{ baseUrl: string }>('');
  return {
    baseUrl,
    received: async () => new Map((await ask<{ received: [string, number][] }>('stats')).received),
    reset: async () => void (await ask('reset')),
    close: async () => {
      await ask('close');
      child.disconnect();
    },
  };
}

function prompts(count: number, tag: string): PromptItem[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `${tag}-${i}`,
    request: { messages: [{ role: 'user', content: `${tag}-${i}: say something short` }], max_tokens: 16, temperature: 0.7 },
  }));
}

function client(baseUrl: string, model: string, concurrency: number): TeacherClient {
  return createTeacherClient({ baseUrl, model, apiKey: process.env.BENCH_TEACHER_API_KEY, maxConcurrency: concurrency, timeoutMs: 30_000, maxRetries: 2 });
}

/** The same requests sent with bare undici, C at a time: what loopback HTTP alone sustains here. */
async function bareHttp(baseUrl: string, model: string, concurrency: number, requests: number, warmup: number): Promise<number> {
  const agent = new Agent({ connections: concurrency });
  const send = async (content: string) => {
    const body = JSON.stringify({ model, messages: [{ role: 'user', content }], max_tokens: 16, temperature: 0.7 });
    const res = await request(`${baseUrl}/chat/completions`, { method: 'POST', body, headers: { 'content-type': 'application/json' }, dispatcher: agent });
    await res.body.text();
  };
  const wave = async (tag: string, total: number) => {
    let next = 0;
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (next < total) await send(`${tag}-${next++}: say something short`);
    }));
  };
  try {
    await wave(`bare-warm-${concurrency}`, warmup);
    const t0 = performance.now();
    await wave(`bare-${concurrency}`, requests);
    return requests / ((performance.now() - t0) / 1000);
  } finally {
    await agent.close();
  }
}

async function throughput(baseUrl: string, model: string, concurrency: number, injectedLatencyMs: number | undefined): Promise<TeacherCase> {
  const teacher = client(baseUrl, model, concurrency);
  const requests = requestsFor(concurrency, injectedLatencyMs);
  const warmup = warmupFor(concurrency, injectedLatencyMs);
  let latencySum = 0;
  let seconds: number;
  let summary;
  try {
    await runPrompts(prompts(warmup, `warm-${concurrency}`), teacher, { onResult: () => undefined });
    const t0 = performance.now();
    summary = await runPrompts(prompts(requests, `c${concurrency}-l${injectedLatencyMs ?? 'x'}`), teacher, {
      onResult: (_id, r) => void (latencySum += r.latencyMs),
    });
    seconds = (performance.now() - t0) / 1000;
  } finally {
    await teacher.close();
  }
  if (summary.completed !== requests) throw new Error(`teacher bench: ${summary.completed} of ${requests} requests completed`);
  const meanLatencyMs = latencySum / requests;
  const latencyMs = injectedLatencyMs ?? meanLatencyMs;
  const ideal = (concurrency * 1000) / latencyMs;
  const achieved = requests / seconds;
  const bare = await bareHttp(baseUrl, model, concurrency, requests, warmup);
  return { concurrency, latencyMs, requests, ideal, achieved, ratio: achieved / ideal, meanLatencyMs, bareHttp: bare, pass: achieved / ideal >= TARGET };
}

/**
 * Abort a run part-way, restart it with the ids already persisted, and check every prompt was
 * persisted exactly once and no finished prompt was asked again.
 */
async function interruption(server: ServerHandle): Promise<InterruptionFigures> {
  const count = 600;
  const all = prompts(count, 'resume');
  const persisted = new Map<string, number>(); // stands in for generation_result rows
  const persist = (id: string) => void persisted.set(id, (persisted.get(id) ?? 0) + 1);
  await server.reset();
  const teacher = client(server.baseUrl, 'teacher', 32);
  const restarted = client(server.baseUrl, 'teacher', 32);
  const ac = new AbortController();
  await runPrompts(all, teacher, {
    signal: ac.signal,
    onResult: (id) => {
      persist(id);
      if (persisted.size === 200) ac.abort();
    },
  }).then(
    () => {
      throw new Error('teacher bench: the interrupted run was not interrupted');
    },
    (err) => {
      if (!ac.signal.aborted) throw err;
    },
  );
  const done = new Set(persisted.keys());
  const seenBefore = await server.received();
  await runPrompts(all, restarted, { onResult: persist, skip: done });
  const seenAfter = await server.received();
  await Promise.all([teacher.close(), restarted.close()]);

  const key = (id: string) => `${id}: say something short`;
  const persistedOnce = all.filter((p) => persisted.get(p.id) === 1).length;
  const doneReasked = [...done].filter((id) => seenAfter.get(key(id)) !== seenBefore.get(key(id))).length;
  const reaskedAfterAbort = all.filter((p) => !done.has(p.id) && (seenBefore.get(key(p.id)) ?? 0) > 0).length;
  const ok = persistedOnce === count && persisted.size === count && doneReasked === 0;
  return { prompts: count, doneBeforeAbort: done.size, persistedOnce, reaskedAfterAbort, doneReasked, ok };
}

export async function teacherSection(): Promise<Record<string, unknown>> {
  const external = process.env.BENCH_TEACHER_URL;
  const cases: TeacherCase[] = [];
  let resume: InterruptionFigures | undefined;
  if (external) {
    const model = process.env.BENCH_TEACHER_MODEL ?? 'default';
    console.log(`teacher: ${external} (${model}), ${requestsFor(0, undefined)} requests per case, L = mean observed latency`);
    for (const c of CONCURRENCY) cases.push(await throughput(external, model, c, undefined));
  } else {
    console.log('teacher: latency-injected OpenAI-compatible server (node:http in a child process), C/L x 4 s requests per case');
    for (const latency of LATENCY_MS) {
      const server = await startServerProcess(latency);
      try {
        for (const c of CONCURRENCY) cases.push(await throughput(server.baseUrl, 'teacher', c, latency));
        if (latency === LATENCY_MS[0]) resume = await interruption(server);
      } finally {
        await server.close();
      }
    }
  }
  // The client and the fake server share this machine's cores with whatever else runs: say how busy it was.
  const machine = `${os.cpus().length} cores, load average ${os.loadavg()[0].toFixed(1)} after the run`;
  console.log(`  (${machine})`);
  console.log('     C   L ms   requests   C/L req/s   achieved req/s   ratio   mean latency ms   bare undici req/s   achieved / bare');
  for (const c of cases) {
    const row = [
      String(c.concurrency).padStart(6),
      c.latencyMs.toFixed(0).padStart(6),
      String(c.requests).padStart(10),
      c.ideal.toFixed(1).padStart(11),
      c.achieved.toFixed(1).padStart(16),
      c.ratio.toFixed(3).padStart(7),
      c.meanLatencyMs.toFixed(1).padStart(17),
      c.bareHttp.toFixed(1).padStart(19),
      (c.achieved / c.bareHttp).toFixed(3).padStart(17),
    ];
    console.log(`${row.join(' ')}   ${c.pass ? 'ok' : `BELOW ${TARGET}`}`);
  }
  if (resume) {
    console.log(
      `  interruption: ${resume.prompts} prompts, aborted after ${resume.doneBeforeAbort} persisted, restarted with them skipped: ` +
        `${resume.persistedOnce}/${resume.prompts} persisted exactly once, ${resume.doneReasked} finished prompts asked again, ` +
        `${resume.reaskedAfterAbort} in flight at the abort asked again   ${resume.ok ? 'ok' : 'FAILED'}`,
    );
  }
  const failed = cases.filter((c) => !c.pass).length + (resume && !resume.ok ? 1 : 0);
  return { target: TARGET, machine, cases, interruption: resume, ok: failed === 0 };
}
