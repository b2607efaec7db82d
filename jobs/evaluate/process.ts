import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { DataSource } from 'typeorm';
import type { EvaluateRunConfig, RunJobResult, RunPayload } from '@retort/contracts';
import { MissingSecretKeyError, Repositories, type RunRepository } from '@retort/db';
import { evaluate, generate, initBackend, loadAdapter, loadModel, tokenizeRecord, type LoraAdapter, type Model } from '@retort/engine';
import type { ArtifactStore } from '@retort/storage';
import { evaluateGate, type GateResult, type GateRules } from '@retort/serving';
import { createTeacherClient } from '@retort/teacher';
import { ChatTokenizer } from '@retort/tokenizer';
import { readPrompts, type Prompt } from '../generate/prompts';
import { NO_RUN_OBSERVER, type RunObserver } from '../run-observer';
import { beginRun, found } from '../run-step';
import { meanScores, scoreAnswer, type AnswerScores } from './metrics';

export interface EvaluateJobDeps {
  ds: DataSource;
  store: ArtifactStore;
  worker: string;
  secretKey?: string;
  /** Asks the api to promote a pipeline's candidate (auto-promote after a passed gate). */
  enqueueAutoPromote?: (payload: { pipelineRunId: string; adapterVersionId: string }) => Promise<void>;
  observer?: RunObserver;
}

export interface SubjectReport {
  label: string;
  kind: 'base' | 'adapter' | 'teacher';
  adapterVersionId?: string;
  /** NAME@vVERSION of an adapter subject (what `retort adapter promote` takes). */
  adapterRef?: string;
  n: number;
  scores: AnswerScores;
  loss?: number;
  perplexity?: number;
  tokenAccuracy?: number;
  samples: { prompt: string; reference: string; answer: string }[];
}

const SHOWN = 10;

/**
 * Scores the base model, each adapter version and (optionally) the teacher on a held-out set:
 * loss, perplexity and token accuracy where a model is ours, and generation metrics against the
 * references for everyone. One report, stored with the run and with each adapter version.
 */
export async function processEvaluate(payload: RunPayload, deps: EvaluateJobDeps): Promise<RunJobResult> {
  const { ds } = deps;
  const db = Repositories.of(ds, { secretKey: deps.secretKey });
  const observer = deps.observer ?? NO_RUN_OBSERVER;
  const begun = await beginRun(ds, payload.runId, 'evaluate', deps.worker, { predecessor: (c) => c.adapterFromRunId, prepare: (c, runs) => resolveInputs(db, runs, c), onTakeover: observer.takenOver });
  if ('result' in begun) return begun.result;
  const { run, config, runs } = begun;
  await initBackend();

  const version = await found(db.datasetVersions.findById(config.datasetVersionId), `dataset version ${config.datasetVersionId}`);
  const prompts: Prompt[] = [];
  for await (const p of readPrompts(await deps.store.get(version.artifactKey))) {
    if (config.tag && !p.tags?.includes(config.tag)) continue;
    if (p.reference !== undefined) prompts.push(p);
    if (config.limit && prompts.length >= config.limit) break;
  }
  if (!prompts.length) throw new Error(`dataset version ${version.id} has no records with a reference answer to evaluate against`);
  const pattern = config.regex ? new RegExp(config.regex) : undefined;

  const baseModel = await found(db.baseModels.findById(config.baseModelId), `base model ${config.baseModelId}`);
  const model = loadModel(baseModel.path);
  const tok = ChatTokenizer.fromDir(baseModel.path);
  const subjects: SubjectReport[] = [];
  const progress = async (label: string) => {
    const data = { evaluated: subjects.length, label };
    await runs.progress(run.id, data);
    await runs.event(run.id, 'info', 'message', { message: `evaluated ${label}` });
  };

  subjects.push(await scoreModel('base', 'base', model, undefined, tok, prompts, config.maxTokens, pattern));
  await progress('base');
  for (const ref of config.adapters) {
    const av = await found(db.adapters.findVersionById(ref.adapterVersionId), `adapter version ${ref.adapterVersionId}`);
    const adapter = await found(db.adapters.findById(av.adapterId), `adapter ${av.adapterId}`);
    const dir = await downloadAdapter(deps.store, av.artifactPrefix);
    try {
      const lora = loadAdapter(dir, model);
      const label = ref.label ?? `${adapter.name} v${av.version}`;
      subjects.push({ ...(await scoreModel(label, 'adapter', model, lora, tok, prompts, config.maxTokens, pattern)), adapterVersionId: av.id, adapterRef: `${adapter.name}@v${av.version}` });
      await progress(label);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  if (config.teacherEndpointId) {
    subjects.push(await scoreTeacher(db, config.teacherEndpointId, prompts, config.maxTokens, observer, pattern));
    await progress('teacher');
  }

  const report = { datasetVersionId: version.id, n: prompts.length, subjects, at: new Date().toISOString() };
  await deps.store.put(`runs/${run.id}/report.json`, JSON.stringify(report, null, 2));
  for (const s of subjects.filter((x) => x.adapterVersionId)) {
    const { samples: _samples, ...metrics } = s;
    await db.adapters.setEvaluation(s.adapterVersionId!, { runId: run.id, datasetVersionId: version.id, ...metrics });
  }
  // Guarded: a run cancelled meanwhile stays cancelled.
  await runs.succeed(run.id, { evaluated: subjects.length, report });
  const candidate = subjects.find((x) => x.label === 'candidate');
  const production = subjects.find((x) => x.label === 'production');
  let gate: (GateResult & { productionVersionId: string | null; evaluateRunId: string }) | undefined;
  if (candidate) {
    gate = { ...evaluateGate((config.gate ?? {}) as GateRules, candidate, production), productionVersionId: production?.adapterVersionId ?? null, evaluateRunId: run.id };
    await db.adapters.setGate(candidate.adapterVersionId!, gate);
  }
  if (run.parentId) await runs.succeedPipeline(run.parentId, {
    adapterVersionId: candidate?.adapterVersionId,
    candidate: candidate?.adapterRef,
    scores: Object.fromEntries(subjects.map((x) => [x.label, { ...x.scores, loss: x.loss, perplexity: x.perplexity, tokenAccuracy: x.tokenAccuracy }])),
    gate,
    evaluateRunId: run.id,
  });
  if (run.parentId && candidate && gate?.passed && deps.enqueueAutoPromote) {
    const parent = await runs.get(run.parentId);
    if ((parent.config as { autoPromote?: boolean }).autoPromote) await deps.enqueueAutoPromote({ pipelineRunId: parent.id, adapterVersionId: candidate.adapterVersionId! });
  }
  return { status: 'succeeded' };
}

/**
 * A pipeline's evaluate step names its inputs by the runs before it: the candidate the training
 * run registered, and the version of the same adapter now in production, if any.
 */
async function resolveInputs(db: Repositories, runs: RunRepository, config: EvaluateRunConfig): Promise<EvaluateRunConfig> {
  if (!config.adapterFromRunId) return config;
  const train = await runs.get(config.adapterFromRunId);
  const id = (train.progress as { adapterVersionId?: string }).adapterVersionId;
  if (train.status !== 'succeeded' || !id) throw new Error(`the training run ${train.id} did not produce an adapter (${train.status})`);
  const candidate = await found(db.adapters.findVersionById(id), `adapter version ${id}`);
  const production = await db.adapterStages.productionVersionId(candidate.adapterId);
  const adapters = [{ adapterVersionId: id, label: 'candidate' }, ...(production && production !== id ? [{ adapterVersionId: production, label: 'production' }] : []), ...config.adapters];
  return { ...config, adapters };
}

async function scoreModel(label: string, kind: 'base' | 'adapter', model: Model, lora: LoraAdapter | undefined, tok: ChatTokenizer, prompts: Prompt[], maxTokens: number, pattern?: RegExp): Promise<SubjectReport> {
  const chat = (p: Prompt) => p.messages.map((m) => ({ ...m }));
  const examples = prompts.flatMap((p) => tokenizeRecord({ messages: [...chat(p), { role: 'assistant', content: p.reference! }] }, tok));
  const metrics = await evaluate(model, lora, examples, tok.padTokenId ?? 0);
  const eos = [tok.eosTokenId, ...[model.config.eosTokenId ?? []].flat()].filter((x): x is number => x !== undefined);
  const answers: string[] = [];
  for (const p of prompts) {
    const text = tok.hasChatTemplate ? tok.applyChatTemplate(chat(p), { addGenerationPrompt: true }) : p.messages.map((m) => m.content).join('\n');
    answers.push((await generate(model, tok.encode(text), { maxNewTokens: maxTokens, stopTokenIds: eos, lora, decode: (ids) => tok.decode(ids, { skipSpecialTokens: true }) })).text ?? '');
  }
  return report(label, kind, prompts, answers, pattern, { loss: metrics.loss, perplexity: metrics.perplexity, tokenAccuracy: metrics.tokenAccuracy });
}

async function scoreTeacher(db: Repositories, endpointId: string, prompts: Prompt[], maxTokens: number, observer: RunObserver, pattern?: RegExp): Promise<SubjectReport> {
  const e = await found(db.endpoints.findById(endpointId), `teacher endpoint ${endpointId}`);
  // Scored without a key when this worker cannot open it (as before): the teacher then answers or refuses.
  const apiKey = await db.endpoints.apiKey(e.id).catch((err) => {
    if (err instanceof MissingSecretKeyError) return undefined;
    throw err;
  });
  const client = createTeacherClient({ baseUrl: e.baseUrl, model: e.model, apiKey, maxConcurrency: e.maxConcurrency, timeoutMs: e.timeoutMs, observer: observer.teacher });
  const answers = await Promise.all(prompts.map(async (p) => (await client.complete({ messages: p.messages, max_tokens: maxTokens, temperature: 0 })).samples[0]?.content ?? ''));
  return report(`teacher (${e.name})`, 'teacher', prompts, answers, pattern, {});
}

function report(label: string, kind: SubjectReport['kind'], prompts: Prompt[], answers: string[], pattern: RegExp | undefined, extra: Partial<SubjectReport>): SubjectReport {
  const scores = prompts.map((p, i) => scoreAnswer(answers[i], p.reference!, pattern));
  return {
    label,
    kind,
    n: prompts.length,
    scores: meanScores(scores),
    ...extra,
    samples: prompts.slice(0, SHOWN).map((p, i) => ({ prompt: p.messages[p.messages.length - 1].content, reference: p.reference!, answer: answers[i] })),
  };
}

async function downloadAdapter(store: ArtifactStore, prefix: string): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'retort-adapter-'));
  for (const f of ['adapter_model.safetensors', 'adapter_config.json']) fs.writeFileSync(path.join(dir, f), await store.getBuffer(prefix + f));
  return dir;
}
