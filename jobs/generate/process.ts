import { Readable } from 'node:stream';
import type { DataSource } from 'typeorm';
import type { GenerateRunConfig, RunJobResult, RunPayload } from '@retort/contracts';
import { canonicalLine, storableText, type ChatRecord } from '@retort/datasets';
import { createDatasetVersion, Dataset, DatasetVersion, Endpoint, SecretBox, type Run } from '@retort/db';
import type { ArtifactStore } from '@retort/storage';
import { buildTarget, createTeacherClient, filterSamples, runPrompts, TeacherError, type PromptItem, type TeacherResult } from '@retort/teacher';
import { beginRun, PermanentRunError, watchCancel } from '../run-step';
import { readPrompts, type Prompt } from './prompts';

export interface GenerateJobDeps {
  ds: DataSource;
  store: ArtifactStore;
  worker: string;
  secretKey?: string;
  enqueueImport: (versionId: string) => Promise<void>;
  cancelPollMs?: number;
}

/**
 * Asks the teacher for every prompt of a run's prompt set and keeps each result as it arrives,
 * so a restarted run skips the prompts already answered and never asks twice for the same prompt
 * and sample. When all are answered, the kept samples become a new version of the output data set.
 */
export async function processGenerate(payload: RunPayload, deps: GenerateJobDeps): Promise<RunJobResult> {
  const { ds } = deps;
  const begun = await beginRun(ds, payload.runId, 'generate', deps.worker);
  if ('result' in begun) return begun.result;
  const { run, config, runs } = begun;

  const endpoint = await ds.getRepository(Endpoint).createQueryBuilder('e').addSelect('e.secretSealed').where('e.id = :id', { id: config.teacherEndpointId }).getOneOrFail();
  if (endpoint.secretSealed && !deps.secretKey) throw new Error('the teacher endpoint has an API key but this worker has no RETORT_SECRET_KEY');
  const apiKey = endpoint.secretSealed ? new SecretBox(deps.secretKey!).open(endpoint.secretSealed) : undefined;
  const source = await ds.getRepository(DatasetVersion).findOneByOrFail({ id: config.datasetVersionId });
  const prompts: Prompt[] = [];
  for await (const p of readPrompts(await deps.store.get(source.artifactKey))) prompts.push(p);

  const doneRows: { prompt_idx: number }[] = await ds.query('SELECT DISTINCT prompt_idx FROM generation_result WHERE run_id = $1', [run.id]);
  const done = new Set(doneRows.map((r) => String(r.prompt_idx)));
  const abort = new AbortController();
  const cancelled = watchCancel(runs, run.id, deps.cancelPollMs ?? 1000, () => abort.abort());
  const client = createTeacherClient({ baseUrl: endpoint.baseUrl, model: endpoint.model, apiKey, maxConcurrency: endpoint.maxConcurrency, requestsPerMinute: endpoint.requestsPerMinute ?? undefined, tokensPerMinute: endpoint.tokensPerMinute ?? undefined, timeoutMs: endpoint.timeoutMs, signal: abort.signal });
  const items: PromptItem[] = prompts.map((p) => ({
    id: String(p.idx),
    request: { messages: p.messages, n: config.samples, temperature: config.temperature, top_p: config.topP, max_tokens: config.maxTokens, seed: config.seed === undefined ? undefined : config.seed + p.idx, logprobs: config.logprobs },
  }));
  let answered = done.size;
  let failures = 0;
  let transientFailures = 0;
  let firstFailure: string | undefined;
  let lastEvent = 0;
  try {
    await runPrompts(items, client, {
      skip: done,
      signal: abort.signal,
      onResult: async (id, result) => {
        const cleaned = await persist(deps, run.id, prompts[Number(id)], result, config);
        if (cleaned) await runs.event(run.id, 'warn', 'message', { message: `prompt ${id}: ${cleaned} character(s) the database cannot store (NUL, unpaired surrogates) were cleaned from the teacher's answer` });
        answered += 1;
        if (Date.now() - lastEvent > 500 || answered === prompts.length) {
          lastEvent = Date.now();
          const progress: Record<string, any> = { answered, total: prompts.length, failures };
          await runs.progress(run.id, progress);
          await runs.event(run.id, 'info', 'metrics', progress);
        }
      },
      onError: async (id, error) => {
        failures += 1;
        if (!isPermanent(error)) transientFailures += 1;
        firstFailure ??= storableText(`prompt ${id}: ${error.message}`).text;
        await runs.event(run.id, 'warn', 'message', { message: storableText(`prompt ${id}: ${error.message}`).text });
      },
    });
  } catch (err) {
    if (cancelled.get()) {
      await runs.stopped(run.id);
      return { status: 'cancelled' };
    }
    throw err;
  } finally {
    cancelled.stop();
    await client.close();
  }
  if (failures) {
    const headline = `${failures} prompt(s) failed; the first: ${firstFailure}`;
    // Refusals (a 400 for too many tokens, a bad request) would be refused again: no job retry.
    if (transientFailures === 0) throw new PermanentRunError(headline);
    throw new Error(`${headline}; retry the run to ask for just those`);
  }

  const kept = await ds.query(`SELECT count(*)::int AS n FROM generation_result WHERE run_id = $1 AND dropped IS NULL`, [run.id]);
  if (kept[0].n === 0) {
    const why: { reason: string; n: number }[] = await ds.query(`SELECT split_part(dropped, ':', 1) AS reason, count(*)::int AS n FROM generation_result WHERE run_id = $1 GROUP BY 1 ORDER BY 2 DESC`, [run.id]);
    throw new PermanentRunError(`the filters dropped every teacher answer (${why.map((w) => `${w.reason}: ${w.n}`).join(', ')}); change the filters or max_tokens and retry`);
  }
  const version = await outputVersion(deps, run, config, prompts);
  // Guarded: a run cancelled meanwhile stays cancelled.
  await runs.succeed(run.id, { answered, total: prompts.length, failures: 0, kept: kept[0].n, outputVersionId: version.id });
  return { status: 'succeeded', versionId: version.id };
}

/** A failure the teacher would repeat: it answered, and refused the request (not a timeout, 429 or 5xx). */
function isPermanent(error: Error): boolean {
  return error instanceof TeacherError && (error.kind === 'http' || error.kind === 'protocol') && !error.retryable;
}

/**
 * One prompt's samples, with the filters' verdicts, in one statement (all or nothing). Characters
 * Postgres cannot store are cleaned first, so one odd answer does not fail the run; returns how many.
 */
async function persist(deps: GenerateJobDeps, runId: string, prompt: Prompt, answer: TeacherResult, config: GenerateRunConfig): Promise<number> {
  const { result, cleaned } = storableSamples(answer);
  const { kept, dropped } = filterSamples(result.samples, { ...config.filters, reference: config.filters.verifier ? prompt.reference : undefined });
  const reasonOf = new Map(dropped.map((d) => [d.sample.index, `${d.reason}: ${d.detail}`]));
  const rows = [...kept, ...dropped.map((d) => d.sample)];
  let logprobsKey: string | null = null;
  if (config.logprobs !== undefined && result.samples.some((s) => s.logprobs)) {
    logprobsKey = `runs/${runId}/logprobs/${String(prompt.idx).padStart(8, '0')}.json`;
    await deps.store.put(logprobsKey, JSON.stringify(result.samples.map((s) => ({ sample: s.index, logprobs: s.logprobs ?? [] }))));
  }
  const perSample = Math.round(result.usage.completionTokens / Math.max(1, result.samples.length));
  await deps.ds.query(
    `INSERT INTO generation_result (run_id, prompt_idx, sample, output, reasoning, finish_reason, prompt_tokens, completion_tokens, logprobs_key, dropped, cleaned)
     SELECT $1, $2, s.sample, s.output, s.reasoning, s.finish, $3, $4, $5, s.dropped, s.cleaned
     FROM unnest($6::int[], $7::text[], $8::text[], $9::text[], $10::text[], $11::int[]) AS s(sample, output, reasoning, finish, dropped, cleaned)
     ON CONFLICT (run_id, prompt_idx, sample) DO NOTHING`,
    [
      runId,
      prompt.idx,
      result.usage.promptTokens,
      perSample,
      logprobsKey,
      rows.map((s) => s.index),
      rows.map((s) => s.content),
      rows.map((s) => s.reasoning),
      rows.map((s) => s.finishReason),
      rows.map((s) => reasonOf.get(s.index) ?? null),
      rows.map((s) => cleaned.get(s.index) ?? 0),
    ],
  );
  return [...cleaned.values()].reduce((a, b) => a + b, 0);
}

/** The samples with their text made storable, and the characters cleaned per sample index. */
function storableSamples(result: TeacherResult): { result: TeacherResult; cleaned: Map<number, number> } {
  const cleaned = new Map<number, number>();
  const samples = result.samples.map((s) => {
    const content = storableText(s.content);
    const reasoning = s.reasoning === null ? null : storableText(s.reasoning);
    const n = content.cleaned + (reasoning?.cleaned ?? 0);
    if (n === 0) return s;
    cleaned.set(s.index, n);
    return { ...s, content: content.text, reasoning: reasoning?.text ?? null };
  });
  return { result: { ...result, samples }, cleaned };
}

/** The kept samples as a new version of the output data set, once per run. */
async function outputVersion(deps: GenerateJobDeps, run: Run, config: GenerateRunConfig, prompts: Prompt[]): Promise<DatasetVersion> {
  const { ds } = deps;
  await ds.query(`INSERT INTO dataset (name, description) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`, [config.outputDataset, 'synthetic data from a teacher']);
  const dataset = await ds.getRepository(Dataset).findOneByOrFail({ name: config.outputDataset });
  const existing: DatasetVersion[] = await ds.getRepository(DatasetVersion).createQueryBuilder('v').where(`v.lineage->>'runId' = :runId`, { runId: run.id }).getMany();
  if (existing.length) return existing[0];
  async function* lines(): AsyncGenerator<string> {
    const rows: { prompt_idx: number; sample: number; output: string; reasoning: string | null; cleaned: number }[] = await ds.query(
      `SELECT prompt_idx, sample, output, reasoning, cleaned FROM generation_result WHERE run_id = $1 AND dropped IS NULL ORDER BY prompt_idx, sample`,
      [run.id],
    );
    for (const r of rows) {
      const p = prompts[r.prompt_idx];
      const record: ChatRecord = { messages: [...p.messages, { role: 'assistant', content: buildTarget({ content: r.output, reasoning: r.reasoning }, config.reasoning) }] };
      if (p.tags?.length) record.tags = p.tags;
      record.meta = { ...(p.meta ?? {}), teacherSample: r.sample, sourcePrompt: r.prompt_idx, ...(r.cleaned ? { cleanedCharacters: r.cleaned } : {}) };
      yield canonicalLine(record);
    }
  }
  return createDatasetVersion({ ds, store: deps.store, enqueueImport: deps.enqueueImport }, dataset.id, Readable.from(lines()), { name: `run:${run.id}`, tokenId: null }, { source: 'generation', runId: run.id }, { purpose: 'train' });
}

