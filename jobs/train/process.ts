import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { DataSource } from 'typeorm';
import type { RunPayload, TrainRunConfig } from '@retort/contracts';
import { LineError, parseRecord, readLines } from '@retort/datasets';
import { Adapter, AdapterVersion, BaseModel, DatasetVersion, Endpoint, Run, RunEvent } from '@retort/db';
import { initBackend, runTraining, trainConfig, type TeacherTokenLogprob, type TrainProgress, type TrainRecord } from '@retort/engine';
import type { ArtifactStore } from '@retort/storage';
import { watchCancel } from '../cancel';
import { claimRun, startStep } from '../pipeline';
import { artifactCheckpointStore } from './artifact-checkpoints';
import { codeVersion } from './code-version';

export interface TrainJobDeps {
  ds: DataSource;
  store: ArtifactStore;
  /** Who runs it, recorded on the run (host:pid). */
  worker: string;
  /** How often the job looks for a cancel request (ms). */
  cancelPollMs?: number;
}

const ADAPTER_FILES = ['adapter_model.safetensors', 'adapter_config.json'];

/**
 * Trains a LoRA/QLoRA adapter for a run. Resumable: it always continues from the run's latest
 * checkpoint in the artifact store, so a run redelivered after a worker died picks up where that
 * worker last saved. Exactly one adapter version per run (adapter_version.run_id is unique).
 */
export async function processTrain(payload: RunPayload, deps: TrainJobDeps): Promise<{ status: string; adapterVersionId?: string }> {
  const { ds } = deps;
  const run = await ds.getRepository(Run).findOneBy({ id: payload.runId });
  if (!run) throw new Error(`run ${payload.runId} does not exist`);
  if (run.status === 'succeeded' || run.status === 'cancelled') return { status: run.status };
  const config = { ...(run.config as unknown as TrainRunConfig) };
  if ((await startStep(ds, run, config.dataFromRunId)) === 'skip') return { status: 'skipped' };
  if (config.dataFromRunId) {
    const generated = await ds.getRepository(Run).findOneByOrFail({ id: config.dataFromRunId });
    config.datasetVersionIds = [(generated.progress as { outputVersionId: string }).outputVersionId];
    await waitReady(ds, config.datasetVersionIds[0]);
  }
  if (!(await claimRun(ds, run, deps.worker))) return { status: 'cancelled' };

  await initBackend();
  const model = await ds.getRepository(BaseModel).findOneByOrFail({ id: config.baseModelId });
  const data = await loadRecords(deps, config.datasetVersionIds, config.tag);
  const evalData = config.evalDatasetVersionId ? await loadRecords(deps, [config.evalDatasetVersionId], config.evalTag) : undefined;
  const hp = config.hyperparameters;
  const engineConfig = trainConfig({
    lora: { r: hp.rank, alpha: hp.alpha, dropout: hp.dropout, useRslora: hp.rslora, ...(hp.targetModules === 'all-linear' ? {} : { targetModules: hp.targetModules }) },
    quant: hp.method === 'qlora' ? 'nf4' : 'none',
    steps: hp.steps,
    batchSize: hp.batchSize,
    gradAccum: hp.gradAccum,
    lr: hp.lr,
    warmupSteps: hp.warmupSteps,
    schedule: hp.schedule,
    weightDecay: hp.weightDecay,
    maxGradNorm: hp.maxGradNorm,
    maxSeqLen: hp.maxSeqLen,
    trainOnInputs: hp.trainOnInputs,
    seed: hp.seed,
    evalEvery: hp.evalEvery,
    saveEvery: hp.saveEvery,
    gradientCheckpointing: hp.gradientCheckpointing,
    kdAlpha: hp.kdAlpha,
    kdTemperature: hp.kdTemperature,
  });

  const cancelled = watchCancel(ds, run.id, deps.cancelPollMs ?? 1000);
  const out = fs.mkdtempSync(path.join(os.tmpdir(), `retort-run-${run.id}-`));
  const events = progressWriter(ds, run.id);
  try {
    const result = await runTraining({
      modelDir: model.path,
      data,
      evalData,
      evalFraction: evalData ? undefined : hp.evalFraction,
      out,
      config: engineConfig,
      resume: true,
      checkpointStore: artifactCheckpointStore(deps.store, ds, run.id),
      onProgress: events.progress,
      shouldStop: cancelled.get,
    });
    await events.flush();
    if (result.resumedFrom !== undefined) await event(ds, run.id, 'info', 'message', { message: `resumed from checkpoint at step ${result.resumedFrom}` });
    if (result.kd) {
      const { records, aligned } = result.kd;
      const message = aligned === records ? `token-level KD on all ${records} records with teacher logprobs` : `token-level KD on ${aligned} of ${records} records with teacher logprobs; sequence-level for the ${records - aligned} whose teacher tokens are not this student's`;
      await event(ds, run.id, aligned === records ? 'info' : 'warn', 'message', { message });
    }
    if (result.stopped) {
      await ds.getRepository(Run).update({ id: run.id }, { status: 'cancelled', finishedAt: new Date() });
      return { status: 'cancelled' };
    }
    const metrics = { finalLoss: result.finalLoss, steps: result.step, trainExamples: result.trainExamples, evalExamples: result.evalExamples, ...(result.eval ? { eval: result.eval } : {}), ...(result.kd ? { kd: result.kd } : {}) };
    const version = await registerAdapter(deps, run, config, model, out, metrics);
    // Guarded: a run cancelled meanwhile stays cancelled.
    await ds.getRepository(Run).update({ id: run.id, status: 'running' }, { status: 'succeeded', finishedAt: new Date(), progress: { ...metrics, step: result.step, totalSteps: hp.steps, adapterVersionId: version.id } });
    await event(ds, run.id, 'info', 'message', { message: `adapter ${config.adapterName} v${version.version} registered` });
    return { status: 'succeeded', adapterVersionId: version.id };
  } finally {
    cancelled.stop();
    fs.rmSync(out, { recursive: true, force: true });
  }
}

async function registerAdapter(deps: TrainJobDeps, run: Run, config: TrainRunConfig, model: BaseModel, dir: string, metrics: Record<string, unknown>): Promise<AdapterVersion> {
  const prefix = `adapters/${config.adapterName}/runs/${run.id}/`;
  for (const f of ADAPTER_FILES) await deps.store.put(prefix + f, fs.readFileSync(path.join(dir, f)));
  const sha256 = createHash('sha256').update(fs.readFileSync(path.join(dir, 'adapter_model.safetensors'))).digest('hex');
  // Read before the transaction: on the embedded Postgres (one session for every connection) a
  // query on another connection inside it would wait for the transaction, which waits for it.
  const teacherEndpoint = await teacherOf(deps.ds, config);
  return deps.ds.transaction(async (m) => {
    const existing = await m.getRepository(AdapterVersion).findOneBy({ runId: run.id });
    if (existing) return existing;
    await m.query(`INSERT INTO adapter (name, base_model_id) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`, [config.adapterName, model.id]);
    const adapter = await m.getRepository(Adapter).createQueryBuilder('a').setLock('pessimistic_write').where('a.name = :name', { name: config.adapterName }).getOneOrFail();
    const { max } = await m.getRepository(AdapterVersion).createQueryBuilder('v').select('MAX(v.version)', 'max').where('v.adapter_id = :id', { id: adapter.id }).getRawOne();
    return m.getRepository(AdapterVersion).save(
      m.getRepository(AdapterVersion).create({
        adapterId: adapter.id,
        version: (max ?? 0) + 1,
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
      }),
    );
  });
}

/** The teacher whose answers the training data came from, when it came from a generation run. */
async function teacherOf(ds: DataSource, config: TrainRunConfig): Promise<{ id: string; name: string; model: string } | null> {
  if (!config.dataFromRunId) return null;
  const generation = await ds.getRepository(Run).findOneBy({ id: config.dataFromRunId });
  const endpointId = (generation?.config as { teacherEndpointId?: string } | undefined)?.teacherEndpointId;
  const endpoint = endpointId ? await ds.getRepository(Endpoint).findOneBy({ id: endpointId }) : null;
  return endpoint ? { id: endpoint.id, name: endpoint.name, model: endpoint.model } : null;
}

/** A generated version is imported by the datasets queue; training reads its artifact once that is done. */
async function waitReady(ds: DataSource, versionId: string, timeoutMs = 10 * 60 * 1000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await ds.getRepository(DatasetVersion).findOneByOrFail({ id: versionId });
    if (v.status === 'ready') return;
    if (v.status === 'failed') throw new Error(`dataset version ${versionId} failed: ${v.error}`);
    if (Date.now() > deadline) throw new Error(`dataset version ${versionId} is still ${v.status}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** A data set version's records (optionally only those with a tag), from its canonical artifact. */
async function loadRecords(deps: TrainJobDeps, versionIds: string[], tag?: string): Promise<TrainRecord[]> {
  const out: TrainRecord[] = [];
  for (const id of versionIds) {
    const version = await deps.ds.getRepository(DatasetVersion).findOneByOrFail({ id });
    const logprobs = await teacherLogprobs(deps, version);
    for await (const item of readLines(await deps.store.get(version.artifactKey), { maxLineBytes: 64 * 1024 * 1024 })) {
      if (item instanceof LineError) throw item;
      const parsed = parseRecord(item.text, { format: 'chat' });
      if ('issues' in parsed) throw new Error(`dataset version ${id} line ${item.line}: ${parsed.issues[0].message}`);
      if (tag && !parsed.record.tags?.includes(tag)) continue;
      const record: TrainRecord = { messages: parsed.record.messages.map((m) => ({ ...m })) };
      const meta = parsed.record.meta as { sourcePrompt?: number; teacherSample?: number } | undefined;
      const teacher = meta && logprobs?.get(`${meta.sourcePrompt}:${meta.teacherSample}`);
      if (teacher?.length) record.teacher = teacher;
      out.push(record);
    }
  }
  if (!out.length) throw new Error(`no training records in dataset version(s) ${versionIds.join(', ')}${tag ? ` with tag ${tag}` : ''}`);
  return out;
}

/**
 * The teacher's per-token logprobs of a generated data set's answers, by "prompt:sample", when its
 * generation run kept them (artifacts written by the generate job); undefined otherwise.
 */
async function teacherLogprobs(deps: TrainJobDeps, version: DatasetVersion): Promise<Map<string, TeacherTokenLogprob[]> | undefined> {
  const lineage = version.lineage as { source?: string; runId?: string } | null;
  if (lineage?.source !== 'generation' || !lineage.runId) return undefined;
  const rows: { prompt_idx: number; logprobs_key: string }[] = await deps.ds.query(
    'SELECT DISTINCT prompt_idx, logprobs_key FROM generation_result WHERE run_id = $1 AND logprobs_key IS NOT NULL',
    [lineage.runId],
  );
  if (!rows.length) return undefined;
  const map = new Map<string, TeacherTokenLogprob[]>();
  for (const row of rows) {
    const samples = JSON.parse((await deps.store.getBuffer(row.logprobs_key)).toString('utf8')) as { sample: number; logprobs: TeacherTokenLogprob[] }[];
    for (const s of samples) map.set(`${row.prompt_idx}:${s.sample}`, s.logprobs);
  }
  return map;
}

/** Per-step metrics as run events (at most a few a second) and the latest in run.progress. */
function progressWriter(ds: DataSource, runId: string) {
  type Data = Record<string, any>;
  let pending: Promise<unknown> = Promise.resolve();
  let lastWrite = 0;
  return {
    progress(p: TrainProgress) {
      const now = Date.now();
      if (now - lastWrite < 250 && !p.eval && p.step !== p.totalSteps) return;
      lastWrite = now;
      const data: Data = { step: p.step, totalSteps: p.totalSteps, loss: p.loss, lr: p.lr, gradNorm: p.gradNorm, tokensPerSec: p.tokensPerSec, etaMs: p.etaMs, epoch: p.epoch, ...(p.eval ? { eval: p.eval } : {}) };
      pending = pending.then(() => Promise.all([event(ds, runId, 'info', 'metrics', data), ds.getRepository(Run).update(runId, { progress: data })])).catch(() => undefined);
    },
    flush: () => pending,
  };
}

async function event(ds: DataSource, runId: string, level: RunEvent['level'], type: RunEvent['type'], data: Record<string, any>): Promise<void> {
  await ds.getRepository(RunEvent).insert({ runId, level, type, data });
}
