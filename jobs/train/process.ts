import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { DataSource } from 'typeorm';
import type { RunJobResult, RunPayload, TrainRunConfig } from '@retort/contracts';
import { LineError, parseRecord, readLines } from '@retort/datasets';
import { Repositories, type AdapterVersion, type BaseModel, type DatasetVersion, type Run, type RunRepository } from '@retort/db';
import { initBackend, runTraining, trainConfigOf, type TeacherTokenLogprob, type TrainProgress, type TrainRecord } from '@retort/engine';
import type { ArtifactStore } from '@retort/storage';
import { NO_RUN_OBSERVER, type RunObserver } from '../run-observer';
import { beginRun, found, watchCancel } from '../run-step';
import { PermanentRunError } from '../run-errors';
import { artifactCheckpointStore } from './artifact-checkpoints';
import { codeVersion } from './code-version';

export interface TrainJobDeps {
  ds: DataSource;
  store: ArtifactStore;
  /** Who runs it, recorded on the run (host:pid). */
  worker: string;
  /** How often the job looks for a cancel request (ms). */
  cancelPollMs?: number;
  observer?: RunObserver;
  /** True once the worker is shutting down: the job checkpoints, gives the run back and returns `queued`. */
  draining?: () => boolean;
}

const ADAPTER_FILES = ['adapter_model.safetensors', 'adapter_config.json'];

/**
 * Trains a LoRA/QLoRA adapter for a run. Resumable: it always continues from the run's latest
 * checkpoint in the artifact store, so a run redelivered after a worker died picks up where that
 * worker last saved. Exactly one adapter version per run (adapter_version.run_id is unique).
 */
export async function processTrain(payload: RunPayload, deps: TrainJobDeps): Promise<RunJobResult> {
  const { ds } = deps;
  const db = Repositories.of(ds);
  const observer = deps.observer ?? NO_RUN_OBSERVER;
  const begun = await beginRun(ds, payload.runId, 'train', deps.worker, { predecessor: (c) => c.dataFromRunId, prepare: (c, runs) => trainingData(db, runs, c), onTakeover: observer.takenOver });
  if ('result' in begun) return begun.result;
  const { run, config, runs } = begun;

  await initBackend();
  const model = await found(db.baseModels.findById(config.baseModelId), `base model ${config.baseModelId}`);
  const data = await loadRecords(deps, db, config.datasetVersionIds, config.tag);
  const evalData = config.evalDatasetVersionId ? await loadRecords(deps, db, [config.evalDatasetVersionId], config.evalTag) : undefined;
  const hp = config.hyperparameters;
  const engineConfig = trainConfigOf(hp);

  const cancelled = watchCancel(runs, run.id, deps.cancelPollMs ?? 1000);
  const out = fs.mkdtempSync(path.join(os.tmpdir(), `retort-run-${run.id}-`));
  const events = progressWriter(runs, run.id);
  const steps = stepObserver(observer);
  const draining = deps.draining ?? (() => false);
  try {
    const result = await runTraining({
      modelDir: model.path,
      data,
      evalData,
      evalFraction: evalData ? undefined : hp.evalFraction,
      out,
      config: engineConfig,
      resume: true,
      checkpointStore: artifactCheckpointStore(deps.store, runs, run.id, observer.checkpointWritten),
      onProgress: (p) => {
        steps(p);
        events.progress(p);
      },
      onResume: async (step) => {
        await runs.dropMetricsAfter(run.id, step);
        await runs.event(run.id, 'info', 'message', { message: `resumed from checkpoint at step ${step}` });
      },
      shouldStop: () => cancelled.get() || draining(),
    });
    await events.flush();
    if (result.kd) {
      const { records, aligned } = result.kd;
      const message = aligned === records ? `token-level KD on all ${records} records with teacher logprobs` : `token-level KD on ${aligned} of ${records} records with teacher logprobs; sequence-level for the ${records - aligned} whose teacher tokens are not this student's`;
      await runs.event(run.id, aligned === records ? 'info' : 'warn', 'message', { message });
    }
    if (result.stopped && !cancelled.get()) {
      await runs.release(run.id);
      await runs.event(run.id, 'info', 'message', { message: `worker ${deps.worker} is shutting down: checkpointed at step ${result.step}, back in the queue` });
      return { status: 'queued' };
    }
    if (result.stopped) {
      await runs.stopped(run.id);
      return { status: 'cancelled' };
    }
    const metrics = { finalLoss: result.finalLoss, steps: result.step, trainExamples: result.trainExamples, evalExamples: result.evalExamples, ...(result.eval ? { eval: result.eval } : {}), ...(result.kd ? { kd: result.kd } : {}) };
    const version = await registerAdapter(deps, db, runs, run, config, model, out, metrics);
    await runs.succeed(run.id, { ...metrics, step: result.step, totalSteps: hp.steps, adapterVersionId: version.id });
    await runs.event(run.id, 'info', 'message', { message: `adapter ${config.adapterName} v${version.version} registered` });
    return { status: 'succeeded', adapterVersionId: version.id };
  } finally {
    cancelled.stop();
    fs.rmSync(out, { recursive: true, force: true });
  }
}

async function registerAdapter(deps: TrainJobDeps, db: Repositories, runs: RunRepository, run: Run, config: TrainRunConfig, model: BaseModel, dir: string, metrics: Record<string, unknown>): Promise<AdapterVersion> {
  const prefix = `adapters/${config.adapterName}/runs/${run.id}/`;
  for (const f of ADAPTER_FILES) await deps.store.put(prefix + f, fs.readFileSync(path.join(dir, f)));
  const sha256 = createHash('sha256').update(fs.readFileSync(path.join(dir, 'adapter_model.safetensors'))).digest('hex');
  // Read before the transaction: on the embedded Postgres (one session for every connection) a
  // query on another connection inside it would wait for the transaction, which waits for it.
  const teacherEndpoint = await teacherOf(db, runs, config);
  return db.adapters.registerVersion(
    { name: config.adapterName, baseModelId: model.id },
    {
      artifactPrefix: prefix,
      sha256,
      config: JSON.parse(fs.readFileSync(path.join(dir, 'adapter_config.json'), 'utf8')),
      metrics,
      lineage: {
        baseModel: { id: model.id, name: model.name },
        datasetVersions: config.datasetVersionIds,
        evalDatasetVersion: config.evalDatasetVersionId ?? null,
        teacherEndpoint,
        run: run.id,
        pipeline: run.parentId,
        hyperparameters: config.hyperparameters,
        codeVersion: codeVersion(),
      },
      runId: run.id,
    },
  );
}

/** The teacher whose answers the training data came from, when it came from a generation run. */
async function teacherOf(db: Repositories, runs: RunRepository, config: TrainRunConfig): Promise<{ id: string; name: string; model: string } | null> {
  if (!config.dataFromRunId) return null;
  const generation = await runs.find(config.dataFromRunId);
  const endpointId = (generation?.config as { teacherEndpointId?: string } | undefined)?.teacherEndpointId;
  const endpoint = endpointId ? await db.endpoints.findById(endpointId) : null;
  return endpoint ? { id: endpoint.id, name: endpoint.name, model: endpoint.model } : null;
}

/** In a pipeline, the data is the version the generation step made, once the datasets queue imported it. */
async function trainingData(db: Repositories, runs: RunRepository, config: TrainRunConfig): Promise<TrainRunConfig> {
  if (!config.dataFromRunId) return config;
  const generated = await runs.get(config.dataFromRunId);
  const versionId = (generated.progress as { outputVersionId: string }).outputVersionId;
  await waitReady(db, versionId);
  return { ...config, datasetVersionIds: [versionId] };
}

/** A generated version is imported by the datasets queue; training reads its artifact once that is done. */
async function waitReady(db: Repositories, versionId: string, timeoutMs = 10 * 60 * 1000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await found(db.datasetVersions.findById(versionId), `dataset version ${versionId}`);
    if (v.status === 'ready') return;
    if (v.status === 'failed') throw new Error(`dataset version ${versionId} failed: ${v.error}`);
    if (Date.now() > deadline) throw new Error(`dataset version ${versionId} is still ${v.status}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** A data set version's records (optionally only those with a tag), from its canonical artifact. */
async function loadRecords(deps: TrainJobDeps, db: Repositories, versionIds: string[], tag?: string): Promise<TrainRecord[]> {
  const out: TrainRecord[] = [];
  for (const id of versionIds) {
    const version = await found(db.datasetVersions.findById(id), `dataset version ${id}`);
    const logprobs = await teacherLogprobs(deps, db, version);
    for await (const item of readLines(await deps.store.get(version.artifactKey), { maxLineBytes: 64 * 1024 * 1024 })) {
      if (item instanceof LineError) throw item;
      const parsed = parseRecord(item.text, { format: 'chat' });
      if ('issues' in parsed) throw new Error(`dataset version ${id} line ${item.line}: ${parsed.issues[0].message}`);
      if (tag && !parsed.record.tags?.includes(tag)) continue;
      const record: TrainRecord = { messages: parsed.record.messages.map((m) => ({ ...m })), source: `dataset version ${id} line ${item.line}` };
      const meta = parsed.record.meta as { sourcePrompt?: number; teacherSample?: number } | undefined;
      const teacher = meta && logprobs?.get(`${meta.sourcePrompt}:${meta.teacherSample}`);
      if (teacher?.length) record.teacher = teacher;
      out.push(record);
    }
  }
  if (!out.length) throw new PermanentRunError(`no training records in dataset version(s) ${versionIds.join(', ')}${tag ? ` with tag ${tag}` : ''}`);
  return out;
}

/**
 * The teacher's per-token logprobs of a generated data set's answers, by "prompt:sample", when its
 * generation run kept them (artifacts written by the generate job); undefined otherwise.
 */
async function teacherLogprobs(deps: TrainJobDeps, db: Repositories, version: DatasetVersion): Promise<Map<string, TeacherTokenLogprob[]> | undefined> {
  const lineage = version.lineage as { source?: string; runId?: string } | null;
  if (lineage?.source !== 'generation' || !lineage.runId) return undefined;
  const rows = await db.generationResults.logprobKeys(lineage.runId);
  if (!rows.length) return undefined;
  const map = new Map<string, TeacherTokenLogprob[]>();
  for (const row of rows) {
    const samples = JSON.parse((await deps.store.getBuffer(row.logprobs_key)).toString('utf8')) as { sample: number; logprobs: TeacherTokenLogprob[] }[];
    for (const s of samples) map.set(`${row.prompt_idx}:${s.sample}`, s.logprobs);
  }
  return map;
}

/** Every step to the observer: the tokens and the wall time since the previous report. */
function stepObserver(observer: RunObserver): (p: TrainProgress) => void {
  // The engine counts tokens and time from its own start (a resumed run's too).
  let last: { step: number; tokens: number; elapsedMs: number } | undefined;
  return (p) => {
    const steps = last ? Math.max(1, p.step - last.step) : 1;
    const seconds = (p.elapsedMs - (last?.elapsedMs ?? 0)) / 1000 / steps;
    observer.trainStep({ tokens: p.tokens - (last?.tokens ?? 0), seconds, loss: p.loss, tokensPerSec: p.tokensPerSec });
    last = { step: p.step, tokens: p.tokens, elapsedMs: p.elapsedMs };
  };
}

/** Per-step metrics as run events (at most a few a second) and the latest in run.progress. */
function progressWriter(runs: RunRepository, runId: string) {
  type Data = Record<string, any>;
  let pending: Promise<unknown> = Promise.resolve();
  let lastWrite = 0;
  return {
    progress(p: TrainProgress) {
      const now = Date.now();
      if (now - lastWrite < 250 && !p.eval && p.step !== p.totalSteps) return;
      lastWrite = now;
      const data: Data = { step: p.step, totalSteps: p.totalSteps, loss: p.loss, lr: p.lr, gradNorm: p.gradNorm, tokensPerSec: p.tokensPerSec, etaMs: p.etaMs, epoch: p.epoch, ...(p.eval ? { eval: p.eval } : {}) };
      pending = pending.then(() => Promise.all([runs.event(runId, 'info', 'metrics', data), runs.progress(runId, data)])).catch(() => undefined);
    },
    flush: () => pending,
  };
}

