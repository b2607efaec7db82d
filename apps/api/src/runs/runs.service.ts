import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import { InjectFlowProducer, InjectQueue } from '@nestjs/bullmq';
import type { FlowJob, FlowProducer, Queue } from 'bullmq';
import { bindingRefusal, WASM_MAX_BYTES, CreateGenerateRunSchema, JOB_RUN_KINDS, fitPoolsFor, isFinishedRun, isUuid, FlowName, formatBytes, jobId, jobOptions, parseRunConfig, QueueName, trainingPlanInput, runKindJob, workerPools, type CreateEvaluateRunDto, type CreateGenerateRunDto, type CreatePipelineRunDto, type PipelineRunConfig, type EvaluateRunConfig, type JobRunKind, type ModelConfigLike, type PlanBackend, type CreateRunDto, type CreateTrainRunDto, type GenerateRunConfig, type TrainRunConfig, teacherMaxTokensDefault } from '@retort/contracts';
import { Repositories, type AdapterVersion, type Checkpoint, type DatasetVersion, type Endpoint, type Run, type RunEvent } from '@retort/db';
import { createTeacherClient } from '@retort/teacher';
import { AuditService } from '../audit/audit.service';
import type { Principal } from '../auth/token.service';
import { filterIds, type ListQuery } from '../common/list-query';
import { ProblemException } from '../common/problem';
import { ModelsService } from '../models/models.service';
import { WorkersService } from '../workers/workers.service';
import { trainingSetProblems } from './training-data';


/** What a schedule adds to the pipelines it starts. */
export interface PipelineOptions {
  scheduleId?: string;
  gate?: Record<string, unknown>;
  autoPromote?: boolean;
}
@Injectable()
export class RunsService {
  private readonly queues: Record<JobRunKind, Queue>;

  constructor(
    @Inject(Repositories) private readonly db: Repositories,
    @Inject(AuditService) private readonly audit: AuditService,
    @Inject(ModelsService) private readonly models: ModelsService,
    @Inject(WorkersService) private readonly workers: WorkersService,
    @InjectQueue(QueueName.train) private readonly trainQueue: Queue,
    @InjectQueue(QueueName.generate) private readonly generateQueue: Queue,
    @InjectQueue(QueueName.evaluate) private readonly evaluateQueue: Queue,
    @InjectFlowProducer(FlowName.pipelines) private readonly flows: FlowProducer,
  ) {
    this.queues = { train: trainQueue, generate: generateQueue, evaluate: evaluateQueue };
  }

  /** The queue of a run of this kind and its job there, if one was added. */
  private async jobOf(run: Run): Promise<{ queue: Queue; job: Awaited<ReturnType<Queue['getJob']>> }> {
    const { name } = runKindJob(run.kind);
    const queue = this.queues[run.kind as JobRunKind];
    return { queue, job: await queue.getJob(jobId(name, { runId: run.id })) };
  }

  async create(dto: CreateRunDto, who: Principal, pipelineOptions: PipelineOptions = {}): Promise<Run> {
    if (dto.kind === 'pipeline') return this.createPipeline(dto, who, { gate: dto.gate, autoPromote: dto.autoPromote, ...pipelineOptions });
    const config = dto.kind === 'train' ? await this.trainConfig(dto) : dto.kind === 'generate' ? await this.generateConfig(dto) : await this.evaluateConfig(dto);
    const run = await this.db.transaction(async (tx) => {
      const saved = await tx.runs.create({ kind: dto.kind, config });
      await this.audit.record(who, 'run.create', { type: 'run', id: saved.id }, { kind: dto.kind }, tx);
      return saved;
    });
    await this.enqueue(run);
    return run;
  }

  /**
   * A pipeline run with one child run per step, queued as a BullMQ flow: evaluate waits for train,
   * which waits for generate; each step reads its inputs from the step before.
   */
  private async createPipeline(dto: CreatePipelineRunDto, who: Principal, opts: PipelineOptions): Promise<Run> {
    const gen = await this.generateConfig(
      CreateGenerateRunSchema.parse({ kind: 'generate', teacher: dto.teacher, datasetVersion: dto.prompts, outputDataset: dto.outputDataset ?? `${dto.adapter}-synthetic`, ...dto.generate }),
      'generate.',
    );
    const model = await this.models.resolve(dto.student).catch(() => {
      throw new ProblemException(400, 'validation', `no base model "${dto.student}" is registered`, { errors: [{ path: 'student', message: 'unknown model' }] });
    });
    await this.readyVersions([{ id: dto.evalDatasetVersion, path: 'evalDatasetVersion' }]);
    // Token-level KD holds the teacher's distributions too, when the generation keeps logprobs.
    await this.checkCapacity(model.config, dto.hyperparameters, gen.logprobs !== undefined && dto.hyperparameters.kdAlpha > 0);
    const runs = await this.db.transaction(async (tx) => {
      const runs = tx.runs;
      const scheduleId = opts.scheduleId ?? null;
      const make = (kind: Run['kind'], parentId: string | null, config: object) => runs.create({ kind, config, parentId, scheduleId });
      const pipeline = await make('pipeline', null, {});
      const generate = await make('generate', pipeline.id, gen);
      const train = await make('train', pipeline.id, { baseModelId: model.id, datasetVersionIds: [], dataFromRunId: generate.id, adapterName: dto.adapter, hyperparameters: dto.hyperparameters } satisfies TrainRunConfig);
      const evaluate = await make('evaluate', pipeline.id, {
        baseModelId: model.id,
        datasetVersionId: dto.evalDatasetVersion,
        adapters: [],
        adapterFromRunId: train.id,
        teacherEndpointId: dto.evaluateTeacher ? gen.teacherEndpointId : undefined,
        maxTokens: dto.evaluate.maxTokens ?? 64,
        regex: dto.evaluate.regex,
        limit: dto.evaluate.limit,
        gate: opts.gate,
      } satisfies EvaluateRunConfig);
      pipeline.config = { steps: { generate: generate.id, train: train.id, evaluate: evaluate.id }, autoPromote: opts.autoPromote ?? false } satisfies PipelineRunConfig;
      await runs.setConfig(pipeline.id, pipeline.config);
      await this.audit.record(who, 'run.create', { type: 'run', id: pipeline.id }, { kind: 'pipeline', adapter: dto.adapter }, tx);
      return { pipeline, generate, train, evaluate };
    });
    await this.addFlow(runs.pipeline);
    return runs.pipeline;
  }

  /** Queue options are set on every node: queue defaults do not apply to flows. */
  private async addFlow(pipeline: Run): Promise<void> {
    const { steps } = parseRunConfig('pipeline', pipeline.config);
    const node = (kind: JobRunKind, children?: FlowJob[]): FlowJob => {
      const { name, queue } = runKindJob(kind);
      const data = { runId: steps[kind] };
      return { name, queueName: queue, data, opts: { ...jobOptions(name, data), failParentOnFailure: true }, children };
    };
    await this.flows.add(node('evaluate', [node('train', [node('generate')])]));
  }

  private async trainConfig(dto: CreateTrainRunDto): Promise<TrainRunConfig> {
    const model = await this.models.resolve(dto.baseModel).catch(() => {
      throw new ProblemException(400, 'validation', `no base model "${dto.baseModel}" is registered`, { errors: [{ path: 'baseModel', message: 'unknown model' }] });
    });
    await this.trainableVersions(dto.datasetVersions.map((id, i) => ({ id, path: `datasetVersions.${i}` })), dto.tag, 'tag');
    if (dto.evalDatasetVersion) await this.trainableVersions([{ id: dto.evalDatasetVersion, path: 'evalDatasetVersion' }], dto.evalTag, 'evalTag');
    await this.checkCapacity(model.config, dto.hyperparameters);
    return {
      baseModelId: model.id,
      datasetVersionIds: dto.datasetVersions,
      evalDatasetVersionId: dto.evalDatasetVersion,
      tag: dto.tag,
      evalTag: dto.evalTag,
      adapterName: dto.adapter,
      hyperparameters: dto.hyperparameters,
    };
  }

  /**
   * Refuses a training run that no registered worker pool can hold, before it is queued. With no
   * training worker registered at all the run is accepted and waits for one.
   */
  private async checkCapacity(modelConfig: Record<string, any>, hp: CreateTrainRunDto['hyperparameters'], kd = false): Promise<void> {
    const pools = workerPools(await this.workers.list(), QueueName.train);
    if (!pools.length) return;
    const input = trainingPlanInput(modelConfig as ModelConfigLike, hp, pools[0].backend as PlanBackend, { kd });
    // Each pool judged by the plan for it: those with the frozen weights on the host hold them beside the heap.
    let judged;
    try {
      judged = fitPoolsFor(input, pools);
    } catch (err) {
      throw new ProblemException(400, 'validation', `cannot plan the memory of this model: ${(err as Error).message}`, { errors: [{ path: 'baseModel', message: (err as Error).message }] });
    }
    const { plan, fit } = judged;
    // A webgpu pool also needs the job's largest tensor to fit one storage binding.
    const refusals = new Map(pools.map((p) => [p.name, p.maxBindingBytes === undefined ? undefined : bindingRefusal(input, p.maxBindingBytes)]));
    if (fit.fits.some((p) => !refusals.get(p.name))) return;
    const bound = fit.fits.find((p) => refusals.get(p.name));
    if (bound) {
      throw new ProblemException(422, 'tensor-too-large', `this run cannot run on worker pool ${bound.name}: ${refusals.get(bound.name)}`, { errors: [{ path: 'hyperparameters', message: refusals.get(bound.name)! }] });
    }
    const largest = fit.largest!;
    // A pool with its frozen weights on the host can hold the whole and still not the rest in its 4 GiB heap.
    const heap = largest.weightsOnHost && fit.needBytes <= largest.usableBytes ? `, of which its wasm heap ${formatBytes(WASM_MAX_BYTES)}: this run needs ${formatBytes(fit.needBytes - plan.bytes.frozenMatrices)} there besides ${formatBytes(plan.bytes.frozenMatrices)} of frozen weights in host memory` : '';
    throw new ProblemException(422, 'insufficient-memory', `this run needs about ${formatBytes(fit.needBytes)} (${hp.method}, seq ${hp.maxSeqLen}, batch ${hp.batchSize}); the largest worker pool, ${largest.name}, holds ${formatBytes(largest.usableBytes)}${heap}`, {
      errors: [{ path: 'hyperparameters', message: `needs ${formatBytes(fit.needBytes)}, largest pool ${largest.name} has ${formatBytes(largest.usableBytes)}` }],
    });
  }

  private async generateConfig(dto: CreateGenerateRunDto, fieldPrefix = ''): Promise<GenerateRunConfig> {
    const teacher = await this.teacher(dto.teacher);
    await this.readyVersions([{ id: dto.datasetVersion, path: `${fieldPrefix}datasetVersion` }]);
    const maxTokens = await this.teacherMaxTokens(teacher, dto.maxTokens, `${fieldPrefix}maxTokens`);
    const { kind: _kind, teacher: _teacher, datasetVersion, ...rest } = dto;
    return { teacherEndpointId: teacher.id, datasetVersionId: datasetVersion, ...rest, maxTokens };
  }

  private async evaluateConfig(dto: CreateEvaluateRunDto): Promise<EvaluateRunConfig> {
    const model = await this.models.resolve(dto.baseModel).catch(() => {
      throw new ProblemException(400, 'validation', `no base model "${dto.baseModel}" is registered`, { errors: [{ path: 'baseModel', message: 'unknown model' }] });
    });
    await this.readyVersions([{ id: dto.datasetVersion, path: 'datasetVersion' }]);
    const adapters = [];
    for (const [i, ref] of dto.adapters.entries()) adapters.push({ adapterVersionId: await this.adapterVersionId(ref, `adapters.${i}`) });
    let teacherEndpointId: string | undefined;
    if (dto.teacher) teacherEndpointId = (await this.teacher(dto.teacher)).id;
    return { baseModelId: model.id, datasetVersionId: dto.datasetVersion, tag: dto.tag, adapters, teacherEndpointId, maxTokens: dto.maxTokens, regex: dto.regex, limit: dto.limit };
  }

  /** "name@version" (or "name" for its latest version) or a version id. */
  private async adapterVersionId(ref: string, path: string): Promise<string> {
    const v = isUuid(ref) ? await this.db.adapters.findVersionById(ref) : await this.namedAdapterVersion(ref);
    if (v) return v.id;
    throw new ProblemException(400, 'validation', `no adapter version "${ref}"`, { errors: [{ path, message: 'unknown adapter version' }] });
  }

  private async namedAdapterVersion(ref: string): Promise<AdapterVersion | null> {
    const [name, version] = ref.split('@');
    const adapter = await this.db.adapters.findByName(name);
    if (!adapter) return null;
    if (version === undefined) return this.db.adapters.latestVersion(adapter.id);
    const number = Number(version.replace(/^v/, ''));
    return Number.isSafeInteger(number) && number > 0 ? this.db.adapters.findVersion(adapter.id, number) : null;
  }

  /**
   * The run's answer budget: the one asked for, refused when the teacher's context cannot hold it
   * beside a prompt (when the teacher says how long its context is), or else the default for that context.
   */
  private async teacherMaxTokens(teacher: Endpoint, maxTokens: number | undefined, path: string): Promise<number> {
    const apiKey = await this.db.endpoints.apiKey(teacher.id).catch(() => undefined);
    const client = createTeacherClient({ baseUrl: teacher.baseUrl, model: teacher.model, apiKey, maxRetries: 0, timeoutMs: Math.min(teacher.timeoutMs, 3000) });
    let context: number | undefined;
    try {
      context = await client.contextLength();
    } finally {
      await client.close();
    }
    if (maxTokens === undefined) return teacherMaxTokensDefault(context);
    if (context === undefined || maxTokens < context) return maxTokens;
    const message = `the teacher ${teacher.name} has a context of ${context} tokens, which must hold the prompt as well as maxTokens (${maxTokens})`;
    throw new ProblemException(400, 'validation', message, { errors: [{ path, message: `must be less than the teacher's context of ${context} tokens` }] });
  }

  private async teacher(ref: string): Promise<Endpoint> {
    const teacher = await this.db.endpoints.findByRef(ref);
    if (!teacher || teacher.purpose !== 'teacher') throw new ProblemException(400, 'validation', `no teacher endpoint "${ref}"`, { errors: [{ path: 'teacher', message: teacher ? 'is a serving endpoint, not a teacher' : 'unknown endpoint' }] });
    return teacher;
  }

  private async readyVersions(refs: { id: string; path: string }[]): Promise<{ version: DatasetVersion; path: string }[]> {
    const versions = await this.db.datasetVersions.findByIds(refs.map((r) => r.id));
    return refs.map(({ id, path }) => {
      const v = versions.find((x) => x.id === id);
      if (!v) throw new ProblemException(400, 'validation', `dataset version ${id} does not exist`, { errors: [{ path, message: 'unknown dataset version' }] });
      if (v.status !== 'ready') throw new ProblemException(409, 'version-not-ready', `dataset version ${id} is ${v.status}`, { errors: [{ path, message: `is ${v.status}` }] });
      return { version: v, path };
    });
  }

  /** Refuses training sets that cannot succeed (see trainingSetProblems), naming each field. */
  private async trainableVersions(refs: { id: string; path: string }[], tag: string | undefined, tagPath: string): Promise<void> {
    const errors = trainingSetProblems({ versions: await this.readyVersions(refs), tag, tagPath });
    if (errors.length) throw new ProblemException(400, 'validation', `the training data cannot be trained on: ${errors[0].message}`, { errors });
  }

  list(q: ListQuery): Promise<[Run[], number]> {
    const text = (key: string) => (typeof q.filter[key] === 'string' ? (q.filter[key] as string) : undefined);
    return this.db.runs.list({
      where: { kind: text('kind'), status: text('status'), parentId: q.filter.parentId === null ? null : text('parentId'), ids: Array.isArray(q.filter.id) ? filterIds(q) : undefined },
      order: { [q.sort.field]: q.sort.order },
      skip: q.skip,
      take: q.take,
    });
  }

  async get(id: string): Promise<Run> {
    const run = await this.db.runs.find(id);
    if (!run) throw new NotFoundException(`run ${id} does not exist`);
    return run;
  }

  async events(id: string, afterId = '0', limit = 1000): Promise<RunEvent[]> {
    await this.get(id);
    return this.db.runs.events(id, afterId, limit);
  }

  async checkpoints(id: string): Promise<Checkpoint[]> {
    await this.get(id);
    return this.db.runs.checkpoints(id);
  }

  /** Queued runs stop at once; a running one stops within one training step (the worker polls). */
  async cancel(id: string, who: Principal): Promise<Run> {
    const run = await this.get(id);
    if (isFinishedRun(run.status)) throw new ProblemException(409, 'run-finished', `run ${id} is already ${run.status}`);
    if (run.kind === 'pipeline') {
      // Every unfinished step stops: queued ones at once, the running one within a step.
      await this.db.runs.cancelPipeline(id);
      await this.audit.record(who, 'run.cancel', { type: 'run', id });
      return this.get(id);
    }
    await this.db.runs.cancel(run);
    const { job } = await this.jobOf(run);
    if (job && (await job.isWaiting().catch(() => false))) await job.remove().catch(() => undefined);
    await this.audit.record(who, 'run.cancel', { type: 'run', id });
    return this.get(id);
  }

  /** A failed or cancelled run goes back to the queue and resumes from its last checkpoint. */
  async retry(id: string, who: Principal): Promise<Run> {
    const run = await this.get(id);
    if (!['failed', 'cancelled'].includes(run.status)) throw new ProblemException(409, 'run-not-retryable', `run ${id} is ${run.status}; only failed or cancelled runs can be retried`);
    if (run.kind === 'pipeline') {
      // Steps that succeeded are skipped by their jobs; the others run again from their checkpoints.
      // The old flow's jobs go first, root (evaluate) first with its children. A step still winding
      // down (its worker has not noticed the cancel yet) holds a lock and keeps its job id busy:
      // BullMQ then removes nothing and the retry waits, so no old job can shadow a new one.
      const steps = await this.db.runs.steps(id);
      const rootFirst = (run: Run) => -JOB_RUN_KINDS.indexOf(run.kind as JobRunKind);
      for (const step of steps.sort((a, b) => rootFirst(a) - rootFirst(b))) {
        const { job } = await this.jobOf(step);
        if (job && !(await job.remove().then(() => true, () => false))) throw new ProblemException(409, 'run-stopping', `pipeline ${id} is still stopping; retry in a moment`);
      }
      await this.db.runs.requeuePipeline(id);
      await this.addFlow(run);
      await this.audit.record(who, 'run.retry', { type: 'run', id });
      return this.get(id);
    }
    const { job: old } = await this.jobOf(run);
    if (old && !(await old.remove().then(() => true, () => false))) throw new ProblemException(409, 'run-stopping', `run ${id} is still stopping; retry in a moment`);
    await this.db.runs.requeue(id);
    await this.enqueue(run);
    await this.audit.record(who, 'run.retry', { type: 'run', id });
    return this.get(id);
  }

  /**
   * Puts back on their queues the runs Postgres says are queued or running but Redis no longer holds
   * (it was flushed, or replaced by an empty one): a run's own job, or a pipeline's whole flow when
   * none of its unfinished steps has a job (steps that succeeded skip themselves). Job ids are
   * deterministic, so racing api processes add each job once. Returns the ids put back.
   */
  async reconcile(): Promise<string[]> {
    const restored: string[] = [];
    for (const run of await this.db.runs.unfinishedTopLevel()) {
      if (run.kind === 'pipeline') {
        const unfinished = (await this.db.runs.steps(run.id)).filter((step) => !isFinishedRun(step.status));
        const held = await Promise.all(unfinished.map(async (step) => (await this.jobOf(step)).job));
        if (!unfinished.length || held.some(Boolean)) continue;
        await this.addFlow(run);
      } else {
        if ((await this.jobOf(run)).job) continue;
        await this.enqueue(run);
      }
      restored.push(run.id);
    }
    return restored;
  }

  private async enqueue(run: Run): Promise<void> {
    const payload = { runId: run.id };
    const { name } = runKindJob(run.kind);
    await this.queues[run.kind as JobRunKind].add(name, payload, jobOptions(name, payload));
  }
}
