import request from 'supertest';
import { DataSource } from 'typeorm';
import { startFakeOpenAI, type FakeOpenAIServer } from '../../../libs/teacher/test/fake-openai-server';
import { startTestStack, waitFor, type TestStack } from '../../api/test/harness';

/**
 * Generation runs against an OpenAI-compatible teacher (here a latency-injected test server that
 * stands in for vLLM): results persisted as they arrive, filters applied, a restart asks for
 * nothing twice, and the kept answers become a new data set version with lineage.
 */
describe('generation runs', () => {
  let stack: TestStack;
  let teacher: FakeOpenAIServer;
  let op: string;
  let promptsVersion: string;
  const api = () => request(stack.baseUrl);

  beforeAll(async () => {
    stack = await startTestStack({ worker: true, env: { RETORT_SECRET_KEY: 'test-secret-key-0123456789' } });
    op = `Bearer ${stack.tokens.operator}`;
    // Answers "ANSWER <prompt>" except for prompts mentioning "ramble", which run out of tokens, and
    // "binary", whose answers hold characters Postgres cannot store.
    teacher = await startFakeOpenAI({
      apiKey: 'sk-teacher',
      latencyMs: 20,
      reasoning: 'field',
      answer: (req) => {
        if (req.prompt.includes('ramble')) return { content: 'and so on and so', finishReason: 'length' };
        if (req.prompt.includes('binary')) return `ANSWER\u0000 ${req.prompt} \ud800\u0000`;
        return `ANSWER ${req.prompt}`;
      },
    });
    await api()
      .post('/api/v1/endpoints')
      .set('Authorization', `Bearer ${stack.tokens.admin}`)
      .send({ name: 'teacher', purpose: 'teacher', baseUrl: teacher.baseUrl, model: 'teacher', apiKey: 'sk-teacher', maxConcurrency: 4 })
      .expect(201);
    const ds = (await api().post('/api/v1/datasets').set('Authorization', op).send({ name: 'prompts' })).body;
    const lines = [...Array.from({ length: 20 }, (_, i) => JSON.stringify({ prompt: `question ${i}`, tags: ['q'] })), JSON.stringify({ prompt: 'please ramble' })];
    promptsVersion = (await api().post(`/api/v1/datasets/${ds.id}/versions?purpose=prompts`).set('Authorization', op).set('Content-Type', 'application/x-ndjson').send(lines.join('\n'))).body.id;
    await waitFor(async () => (await api().get(`/api/v1/dataset-versions/${promptsVersion}`).set('Authorization', op)).body.status === 'ready', 20000, 'import');
  });
  afterAll(async () => {
    await teacher.close();
    await stack.close();
  });

  it('answers every prompt once, drops cut answers, and writes a synthetic version with lineage', async () => {
    const run = await api()
      .post('/api/v1/runs')
      .set('Authorization', op)
      .send({ kind: 'generate', teacher: 'teacher', datasetVersion: promptsVersion, outputDataset: 'synthetic', samples: 2, temperature: 0.7, maxTokens: 32, reasoning: 'keep' });
    expect(run.status).toBe(202);
    const done = await waitFor(async () => {
      const r = (await api().get(`/api/v1/runs/${run.body.id}`).set('Authorization', op)).body;
      return ['succeeded', 'failed'].includes(r.status) && r;
    }, 30000, 'generation');
    expect(done).toMatchObject({ status: 'succeeded', progress: { answered: 21, total: 21, failures: 0, kept: 20 } });
    // Two samples per prompt; identical answers are duplicates, so one is kept per prompt.
    expect(teacher.stats.headers.every((h) => h.authorization === 'Bearer sk-teacher')).toBe(true);
    for (const [prompt, count] of teacher.stats.received) expect({ prompt, count }).toEqual({ prompt, count: 1 });

    const rows = await stack.app.get(DataSource).query(`SELECT prompt_idx, sample, dropped FROM generation_result WHERE run_id = $1 ORDER BY prompt_idx, sample`, [run.body.id]);
    expect(rows).toHaveLength(42);
    expect(rows.filter((r: { dropped: string | null }) => r.dropped?.startsWith('duplicate'))).toHaveLength(20);
    expect(rows.filter((r: { dropped: string | null }) => r.dropped?.startsWith('length'))).toHaveLength(2);

    const output = await api().get(`/api/v1/dataset-versions/${done.progress.outputVersionId}`).set('Authorization', op);
    expect(output.body).toMatchObject({ records: 20, lineage: { source: 'generation', runId: run.body.id }, purpose: 'train' });
    await waitFor(async () => (await api().get(`/api/v1/dataset-versions/${done.progress.outputVersionId}`).set('Authorization', op)).body.status === 'ready', 20000, 'import of output');
    const records = (await api().get(`/api/v1/dataset-versions/${done.progress.outputVersionId}/records?range=[0,0]`).set('Authorization', op)).body;
    expect(records[0].messages).toEqual([
      { role: 'user', content: 'question 0' },
      { role: 'assistant', content: '<think>\nthinking 0 about: question 0\n</think>\n\nANSWER question 0' },
    ]);
    expect(records[0].tags).toEqual(['q']);
  });

  it('fails at once, saying why, when the filters drop every answer', async () => {
    const ds = (await api().post('/api/v1/datasets').set('Authorization', op).send({ name: 'ramblers' })).body;
    const lines = Array.from({ length: 3 }, (_, i) => JSON.stringify({ prompt: `please ramble ${i}` }));
    const version = (await api().post(`/api/v1/datasets/${ds.id}/versions?purpose=prompts`).set('Authorization', op).set('Content-Type', 'application/x-ndjson').send(lines.join('\n'))).body.id;
    await waitFor(async () => (await api().get(`/api/v1/dataset-versions/${version}`).set('Authorization', op)).body.status === 'ready', 20000, 'import');
    const run = await api().post('/api/v1/runs').set('Authorization', op).send({ kind: 'generate', teacher: 'teacher', datasetVersion: version, outputDataset: 'nothing-kept', maxTokens: 8 });
    // Well before BullMQ's retries (5 s, then 10 s) would have run: no retry repeats this.
    const done = await waitFor(async () => {
      const r = (await api().get(`/api/v1/runs/${run.body.id}`).set('Authorization', op)).body;
      return ['succeeded', 'failed'].includes(r.status) && r;
    }, 4000, 'the run to fail');
    expect(done).toMatchObject({ status: 'failed', error: 'the filters dropped every teacher answer (length: 3); change the filters or max_tokens and retry' });
  });

  it("fails a prompt the teacher refuses at once, with the teacher's message, and does not retry the run", async () => {
    const ds = (await api().post('/api/v1/datasets').set('Authorization', op).send({ name: 'refused-prompts' })).body;
    const lines = [JSON.stringify({ prompt: 'too long for you' }), JSON.stringify({ prompt: 'fine one' })];
    const version = (await api().post(`/api/v1/datasets/${ds.id}/versions?purpose=prompts`).set('Authorization', op).set('Content-Type', 'application/x-ndjson').send(lines.join('\n'))).body.id;
    await waitFor(async () => (await api().get(`/api/v1/dataset-versions/${version}`).set('Authorization', op)).body.status === 'ready', 20000, 'import');
    teacher.reset();
    teacher.options.respond = (req) => (req.prompt.includes('too long') ? { status: 400, body: { object: 'error', message: "This model's maximum context length is 512 tokens", type: 'BadRequestError' } } : undefined);
    try {
      const run = await api().post('/api/v1/runs').set('Authorization', op).send({ kind: 'generate', teacher: 'teacher', datasetVersion: version, outputDataset: 'refused' });
      // Well before BullMQ's retries (5 s, then 10 s) would have run.
      const done = await waitFor(async () => {
        const r = (await api().get(`/api/v1/runs/${run.body.id}`).set('Authorization', op)).body;
        return ['succeeded', 'failed'].includes(r.status) && r;
      }, 4000, 'the run to fail');
      expect(done.status).toBe('failed');
      expect(done.error).toMatch(/^1 prompt\(s\) failed; the first: prompt 0: .*HTTP 400 Bad Request: This model's maximum context length is 512 tokens$/);
      await new Promise((r) => setTimeout(r, 500));
      expect(teacher.stats.received.get('too long for you')).toBe(1);
    } finally {
      teacher.options.respond = undefined;
    }
  });

  it('cleans NUL and unpaired surrogates from teacher answers, counting them per record, instead of failing', async () => {
    const ds = (await api().post('/api/v1/datasets').set('Authorization', op).send({ name: 'binary-prompts' })).body;
    const lines = [JSON.stringify({ prompt: 'binary one' }), JSON.stringify({ prompt: 'plain two' })];
    const version = (await api().post(`/api/v1/datasets/${ds.id}/versions?purpose=prompts`).set('Authorization', op).set('Content-Type', 'application/x-ndjson').send(lines.join('\n'))).body.id;
    await waitFor(async () => (await api().get(`/api/v1/dataset-versions/${version}`).set('Authorization', op)).body.status === 'ready', 20000, 'import');
    const run = await api().post('/api/v1/runs').set('Authorization', op).send({ kind: 'generate', teacher: 'teacher', datasetVersion: version, outputDataset: 'cleaned', reasoning: 'strip' });
    const done = await waitFor(async () => {
      const r = (await api().get(`/api/v1/runs/${run.body.id}`).set('Authorization', op)).body;
      return ['succeeded', 'failed'].includes(r.status) && r;
    }, 30000, 'generation');
    expect(done).toMatchObject({ status: 'succeeded', progress: { answered: 2, kept: 2 } });
    await waitFor(async () => (await api().get(`/api/v1/dataset-versions/${done.progress.outputVersionId}`).set('Authorization', op)).body.status === 'ready', 20000, 'import of output');
    const records = (await api().get(`/api/v1/dataset-versions/${done.progress.outputVersionId}/records?range=[0,1]`).set('Authorization', op)).body;
    expect(records.map((r: { messages: { content: string }[]; meta: Record<string, unknown> }) => [r.messages[1].content, r.meta.cleanedCharacters])).toEqual([
      ['ANSWER binary one \ufffd', 3],
      ['ANSWER plain two', undefined],
    ]);
    const events = (await api().get(`/api/v1/runs/${run.body.id}/events`).set('Authorization', op)).body;
    expect(events.map((e: { data: { message?: string } }) => e.data.message)).toContain(
      "prompt 0: 3 character(s) the database cannot store (NUL, unpaired surrogates) were cleaned from the teacher's answer",
    );
  });

  it('resumes a run after an interruption without asking the teacher twice', async () => {
    teacher.reset();
    teacher.options.latencyMs = 800;
    const run = await api().post('/api/v1/runs').set('Authorization', op).send({ kind: 'generate', teacher: 'teacher', datasetVersion: promptsVersion, outputDataset: 'synthetic', reasoning: 'strip' });
    await waitFor(async () => (await api().get(`/api/v1/runs/${run.body.id}`).set('Authorization', op)).body.progress?.answered >= 4, 20000, 'some answers');
    await api().post(`/api/v1/runs/${run.body.id}/cancel`).set('Authorization', op).expect(200);
    await waitFor(async () => {
      const rows = await stack.app.get(DataSource).query(`SELECT count(*)::int AS n FROM run WHERE id = $1 AND status = 'cancelled'`, [run.body.id]);
      return rows[0].n === 1 && teacher.stats.inFlight === 0;
    }, 20000, 'cancel');
    const persisted: number[] = (await stack.app.get(DataSource).query(`SELECT DISTINCT prompt_idx FROM generation_result WHERE run_id = $1`, [run.body.id])).map((r: { prompt_idx: number }) => r.prompt_idx);
    expect(persisted.length).toBeGreaterThan(0);
    expect(persisted.length).toBeLessThan(21);
    const promptText = (idx: number) => (idx === 20 ? 'please ramble' : `question ${idx}`);
    const receivedBefore = new Map(persisted.map((idx) => [idx, teacher.stats.received.get(promptText(idx))]));
    teacher.options.latencyMs = 5;
    await waitFor(async () => (await api().post(`/api/v1/runs/${run.body.id}/retry`).set('Authorization', op)).status === 200, 20000, 'the retry');
    const done = await waitFor(async () => {
      const r = (await api().get(`/api/v1/runs/${run.body.id}`).set('Authorization', op)).body;
      return r.status === 'succeeded' && r;
    }, 30000, 'the retried run');
    expect(done.progress.answered).toBe(21);
    // Prompts whose answers were persisted before the interruption were not asked again.
    for (const idx of persisted) expect({ idx, received: teacher.stats.received.get(promptText(idx)) }).toEqual({ idx, received: receivedBefore.get(idx) });
    expect(teacher.stats.received.size).toBe(21);
    const rows = await stack.app.get(DataSource).query(`SELECT count(*)::int AS n FROM generation_result WHERE run_id = $1`, [run.body.id]);
    expect(rows[0].n).toBe(21);
  });
});
