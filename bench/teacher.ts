/**
 * Teacher benchmark (issue item 9): generation throughput of @retort/teacher against a
 * latency-injected OpenAI-compatible server, and resume after an interruption.
 *
 * With concurrency C and per-request latency L a run should sustain ≥ 90% of C/L requests per
 * second. Each case sends BENCH_TEACHER_REQUESTS (default 512) prompts through runPrompts with the
 * client's maxConcurrency = C, after four untimed warm-up waves that open the connections.
 *
 * The server runs in a worker thread (its own event loop, as a real teacher would be another
 * process), so the figures measure the client's scheduling and HTTP overhead.
 *
 * BENCH_TEACHER_URL (+ BENCH_TEACHER_MODEL) points the throughput cases at a real server instead
 * (e.g. `retort serve`); L is then the mean latency the server showed during the run.
 */
import * as os from 'node:os';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { createTeacherClient, runPrompts, type PromptItem, type TeacherClient } from '@retort/teacher';
import { startFakeOpenAI } from '../libs/teacher/test/fake-openai-server';

const REQUESTS = Number(process.env.BENCH_TEACHER_REQUESTS ?? 512);
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

/** The fake server in a worker thread, driven by messages. */
interface ServerHandle {
  baseUrl: string;
  received(): Promise<Map<string, number>>;
  reset(): Promise<void>;
  close(): Promise<void>;
}

async function startServerThread(latencyMs: number): Promise<ServerHandle> {
  const worker = new Worker(__filename, { workerData: { retortTeacherBenchServer: true, latencyMs } });
  const ask = <T>(message: string) =>
    new Promise<T>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
      if (message) worker.postMessage(message);
    });
  const { baseUrl } = await ask<{ baseUrl: string }>('');
  return {
    baseUrl,
    received: async () => new Map((await ask<{ received: [string, number][] }>('stats')).received),
    reset: async () => void (await ask('reset')),
    close: async () => {
      await ask('close');
      await worker.terminate();
    },
  };
}

if (!isMainThread && workerData?.retortTeacherBenchServer) {
  void startFakeOpenAI({ latencyMs: workerData.latencyMs }).then((server) => {
    parentPort!.on('message', async (message: string) => {
      if (message === 'stats') parentPort!.postMessage({ received: [...server.stats.received] });
      if (message === 'reset') parentPort!.postMessage((server.reset(), 'ok'));
      if (message === 'close') parentPort!.postMessage((await server.close(), 'closed'));
    });
    parentPort!.postMessage({ baseUrl: server.baseUrl });
  });
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

async function throughput(baseUrl: string, model: string, concurrency: number, injectedLatencyMs: number | undefined): Promise<TeacherCase> {
  const teacher = client(baseUrl, model, concurrency);
  let latencySum = 0;
  let seconds: number;
  let summary;
  try {
    // Untimed warm-up: four waves open the connections and warm the JIT.
    await runPrompts(prompts(4 * concurrency, `warm-${concurrency}`), teacher, { onResult: () => undefined });
    const t0 = performance.now();
    summary = await runPrompts(prompts(REQUESTS, `c${concurrency}-l${injectedLatencyMs ?? 'x'}`), teacher, {
      onResult: (_id, r) => void (latencySum += r.latencyMs),
    });
    seconds = (performance.now() - t0) / 1000;
  } finally {
    await teacher.close();
  }
  if (summary.completed !== REQUESTS) throw new Error(`teacher bench: ${summary.completed} of ${REQUESTS} requests completed`);
  const meanLatencyMs = latencySum / REQUESTS;
  const latencyMs = injectedLatencyMs ?? meanLatencyMs;
  const ideal = (concurrency * 1000) / latencyMs;
  const achieved = REQUESTS / seconds;
  return { concurrency, latencyMs, requests: REQUESTS, ideal, achieved, ratio: achieved / ideal, meanLatencyMs, pass: achieved / ideal >= TARGET };
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
    console.log(`teacher: ${external} (${model}), ${REQUESTS} requests per case, L = mean observed latency`);
    for (const c of CONCURRENCY) cases.push(await throughput(external, model, c, undefined));
  } else {
    console.log(`teacher: latency-injected OpenAI-compatible server (node:http in a worker thread), ${REQUESTS} requests per case`);
    for (const latency of LATENCY_MS) {
      const server = await startServerThread(latency);
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
  console.log('     C   L ms   C/L req/s   achieved req/s   ratio   mean latency ms');
  for (const c of cases) {
    const row = [
      String(c.concurrency).padStart(6),
      c.latencyMs.toFixed(0).padStart(6),
      c.ideal.toFixed(1).padStart(11),
      c.achieved.toFixed(1).padStart(16),
      c.ratio.toFixed(3).padStart(7),
      c.meanLatencyMs.toFixed(1).padStart(17),
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
  return { target: TARGET, requestsPerCase: REQUESTS, machine, cases, interruption: resume, ok: failed === 0 };
}

if (isMainThread && require.main === module) {
  teacherSection().catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
