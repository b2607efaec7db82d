import { Readable } from 'node:stream';
import type { DataSource } from 'typeorm';
import type { GenerateRunConfig, RunJobResult, RunPayload } from '@retort/contracts';
import { canonicalLine, createDatasetVersion, storableText, type ChatRecord } from '@retort/datasets';
import { Repositories, type DatasetVersion, type Run } from '@retort/db';
import type { ArtifactStore } from '@retort/storage';
import { buildTarget, createTeacherClient, filterSamples, runPrompts, TeacherError, type PromptItem, type TeacherResult } from '@retort/teacher';
import { NO_RUN_OBSERVER, type RunObserver } from '../run-observer';
import { beginRun, watchCancel } from '../run-step';
import { PermanentRunError } from '../run-errors';
import { readPrompts, type Prompt } from './prompts';

export interface GenerateJobDeps {
  ds: DataSource;
  store: ArtifactStore;
  worker: string;
  secretKey?: string;
  enqueueImport: (versionId: string) => Promise<void>;
  cancelPollMs?: number;
  observer?: RunObserver;
}

/**
 * Asks the teacher for every prompt of a run's prompt set and keeps each result as it arrives,
 * so a restarted run skips the prompts already answered and never asks twice for the same prompt
 * and sample. When all are answered, the kept samples become a new version of the output data set.
 */
export async function processGenerate(payload: RunPayload, deps: GenerateJobDeps): Promise<RunJobResult> {
  const { ds } = deps;
  const observer = deps.observer ?? NO_RUN_OBSERVER;
  const begun = await beginRun(ds, payload.runId, 'generate', deps.worker, { onTakeover: observer.takenOver });
  if ('result' in begun) return begun.result;
  const { run, config, runs } = begun;

  const db = Repositories.of(ds, { secretKey: deps.secretKey });
  const endpoint = await db.endpoints.findById(config.teacherEndpointId);
  if (!endpoint) throw new PermanentRunError(`teacher endpoint ${config.teacherEndpointId} no longer exists`);
  const apiKey = await db.endpoints.apiKey(endpoint.id);
  const source = await db.datasetVersions.findById(config.datasetVersionId);
  if (!source) throw new PermanentRunError(`dataset version ${config.datasetVersionId} no longer exists`);
  const prompts: Prompt[] = [];
  for await (const p of readPrompts(await deps.store.get(source.artifactKey))) prompts.push(p);

  const done = new Set([...(await db.generationResults.answeredPrompts(run.id))].map(String));
  const abort = new AbortController();
  const cancelled = watchCancel(runs, run.id, deps.cancelPollMs ?? 1000, () => abort.abort());
  const client = createTeacherClient({ baseUrl: endpoint.baseUrl, model: endpoint.model, apiKey, maxConcurrency: endpoint.maxConcurrency, requestsPerMinute: endpoint.requestsPerMinute ?? undefined, tokensPerMinute: endpoint.tokensPerMinute ?? undefined, timeoutMs: endpoint.timeoutMs, signal: abort.signal, observer: observer.teacher });
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
        const cleaned = await persist(deps, db, run.id, prompts[Number(id)], result, config);
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
        const message = storableText(`prompt ${id}: ${error.message}`).text;
        firstFailure ??= message;
        await runs.event(run.id, 'warn', 'message', { message });
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

  const kept = await db.generationResults.keptCount(run.id);
  if (kept === 0) {
    const why = await db.generationResults.dropReasons(run.id);
    throw new PermanentRunError(`the filters dropped every teacher answer (${why.map((w) => `${w.reason}: ${w.n}`).join(', ')}); change the filters or max_tokens and retry`);
  }
  const version = await outputVersion(deps, db, run, config, prompts);
  // Guarded: a run cancelled meanwhile stays cancelled.
  await runs.succeed(run.id, { answered, total: prompts.length, failures: 0, kept, outputVersionId: version.id });
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
async function persist(deps: GenerateJobDeps, db: Repositories, runId: string, prompt: Prompt, answer: TeacherResult, config: GenerateRunConfig): Promise<number> {
  const { result, cleaned } = storableSamples(answer);
  const { kept, dropped } = filterSamples(result.samples, { ...config.filters, reference: config.filters.verifier ? prompt.reference : undefined });
  const reasonOf = new Map(dropped.map((d) => [d.sample.index, `${d.reason}: ${d.detail}`]));
  const rows = [...kept, ...dropped.map((d) => d.sample)];
  let logprobsKey: string | null = null;
  if (config.logprobs !== undefined && result.samples.some((s) => s.logprobs)) {
    logprobsKey = `runs/${runId}/logprobs/${String(prompt.idx).padStart(8, '0')}.json`;
    await deps.store.put(logprobsKey, JSON.stringify(result.samples.map((s) => ({ sample: s.index, logprobs: s.logprobs ?? [] }))));
  }
  const usage = { promptTokens: result.usage.promptTokens, completionTokensPerSample: Math.round(result.usage.completionTokens / Math.max(1, result.samples.length)) };
  await db.generationResults.insertPrompt(
    runId,
    prompt.idx,
    usage,
    logprobsKey,
    rows.map((s) => ({ sample: s.index, output: s.content, reasoning: s.reasoning, finishReason: s.finishReason, dropped: reasonOf.get(s.index) ?? null, cleaned: cleaned.get(s.index) ?? 0 })),
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
async function outputVersion(deps: GenerateJobDeps, db: Repositories, run: Run, config: GenerateRunConfig, prompts: Prompt[]): Promise<DatasetVersion> {
  const dataset = await db.datasets.ensure(config.outputDataset, 'synthetic data from a teacher');
  const existing = await db.datasetVersions.ofGenerationRun(run.id);
  if (existing) return existing;
  async function* lines(): AsyncGenerator<string> {
    for (const r of await db.generationResults.keptSamples(run.id)) {
      const p = prompts[r.prompt_idx];
      const record: ChatRecord = { messages: [...p.messages, { role: 'assistant', content: buildTarget({ content: r.output, reasoning: r.reasoning }, config.reasoning) }] };
      if (p.tags?.length) record.tags = p.tags;
      record.meta = { ...(p.meta ?? {}), teacherSample: r.sample, sourcePrompt: r.prompt_idx, ...(r.cleaned ? { cleanedCharacters: r.cleaned } : {}) };
      yield canonicalLine(record);
    }
  }
  return createDatasetVersion(
    {
      store: deps.store,
      save: (artifact) => db.datasetVersions.createNext({ ...artifact, datasetId: dataset.id, lineage: { source: 'generation', runId: run.id }, purpose: 'train', tokenizerModelId: null }, { name: `run:${run.id}`, tokenId: null }),
      enqueueImport: (version) => deps.enqueueImport(version.id),
    },
    dataset.id,
    Readable.from(lines()),
    { purpose: 'train' },
  );
}
