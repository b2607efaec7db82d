import type { Job } from 'bullmq';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { RunJobResult } from '@retort/contracts';
import type { RunObserver } from '@retort/jobs';

export interface WorkerLabels {
  /** host:pid, as recorded on the runs it works on. */
  worker: string;
  backend: string;
}

const JOB = ['queue', 'kind'] as const;

/**
 * The worker's Prometheus metrics, in a registry of its own (several apps may share a process in
 * tests). Every series carries `worker` and `backend`; job metrics add `queue` and `kind`.
 */
export class WorkerMetrics {
  readonly registry = new Registry();
  private readonly active: Gauge<'queue'>;
  private readonly wait: Histogram<'queue' | 'kind'>;
  private readonly run: Histogram<'queue' | 'kind' | 'outcome'>;
  private readonly tokens: Counter<'queue' | 'kind'>;
  private readonly stepTime: Histogram<'queue' | 'kind'>;
  private readonly loss: Gauge<'queue' | 'kind'>;
  private readonly tokensPerSec: Gauge<'queue' | 'kind'>;
  private readonly checkpoints: Counter<'queue' | 'kind'>;
  private readonly takeovers: Counter<'queue' | 'kind'>;
  private readonly teacherRequests: Counter<'queue' | 'kind' | 'outcome'>;
  private readonly teacherLatency: Histogram<'queue' | 'kind'>;
  private readonly teacherTokens: Counter<'queue' | 'kind' | 'type'>;

  /** `deviceBytes` reads the engine's memory in use; absent on a worker that never loads the engine. */
  constructor(labels: WorkerLabels, deviceBytes?: () => number) {
    const registers = [this.registry];
    this.registry.setDefaultLabels({ ...labels });
    collectDefaultMetrics({ register: this.registry, prefix: 'retort_' });
    this.active = new Gauge({ name: 'retort_worker_jobs_active', help: 'Jobs this worker is running now', labelNames: ['queue'], registers });
    this.wait = new Histogram({
      name: 'retort_worker_job_wait_seconds',
      help: 'From enqueue to the start of its first attempt',
      labelNames: JOB,
      buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600],
      registers,
    });
    this.run = new Histogram({
      name: 'retort_worker_job_run_seconds',
      help: 'One attempt of a job, by outcome (succeeded, failed, cancelled, queued: given back while draining, skipped)',
      labelNames: [...JOB, 'outcome'],
      buckets: [1, 10, 30, 60, 300, 600, 1800, 3600, 7200, 14400, 43200, 86400],
      registers,
    });
    this.tokens = new Counter({ name: 'retort_worker_train_tokens_total', help: 'Tokens trained on (padding included)', labelNames: JOB, registers });
    this.stepTime = new Histogram({
      name: 'retort_worker_train_step_seconds',
      help: 'Wall time of one optimizer step (eval and checkpoint included on the steps that have them)',
      labelNames: JOB,
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
      registers,
    });
    this.loss = new Gauge({ name: 'retort_worker_train_loss', help: 'Training loss of the latest step of the running job', labelNames: JOB, registers });
    this.tokensPerSec = new Gauge({ name: 'retort_worker_train_tokens_per_second', help: 'Training throughput of the running job since it started on this worker', labelNames: JOB, registers });
    this.checkpoints = new Counter({ name: 'retort_worker_checkpoints_total', help: 'Training checkpoints written to the artifact store', labelNames: JOB, registers });
    this.takeovers = new Counter({ name: 'retort_worker_takeovers_total', help: 'Runs this worker claimed while they were marked running (a stalled job of a dead worker, or a retried attempt)', labelNames: JOB, registers });
    this.teacherRequests = new Counter({ name: 'retort_teacher_requests_total', help: 'Teacher HTTP attempts by outcome: ok, the HTTP status of a failure (429, 503, …), timeout, connection, protocol', labelNames: [...JOB, 'outcome'], registers });
    this.teacherLatency = new Histogram({ name: 'retort_teacher_request_seconds', help: 'Teacher HTTP attempt latency', labelNames: JOB, buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120], registers });
    this.teacherTokens = new Counter({ name: 'retort_teacher_tokens_total', help: 'Tokens the teacher reported (type prompt or completion)', labelNames: [...JOB, 'type'], registers });
    new Gauge({
      name: 'retort_worker_device_memory_bytes',
      help: 'Bytes the engine backend holds for tensors (on webgpu: GPU buffers)',
      registers,
      collect() {
        if (deviceBytes) this.set(deviceBytes());
      },
    });
  }

  /** The observer a job of this queue and kind reports to. */
  observerFor(queue: string, kind: string): RunObserver {
    const l = { queue, kind };
    return {
      trainStep: (s) => {
        this.tokens.inc(l, s.tokens);
        this.stepTime.observe(l, s.seconds);
        this.loss.set(l, s.loss);
        this.tokensPerSec.set(l, s.tokensPerSec);
      },
      checkpointWritten: () => this.checkpoints.inc(l),
      takenOver: () => this.takeovers.inc(l),
      teacher: {
        attempt: (outcome, seconds, usage) => {
          this.teacherRequests.inc({ ...l, outcome });
          this.teacherLatency.observe(l, seconds);
          if (usage) {
            this.teacherTokens.inc({ ...l, type: 'prompt' }, usage.promptTokens);
            this.teacherTokens.inc({ ...l, type: 'completion' }, usage.completionTokens);
          }
        },
      },
    };
  }

  /** Runs one attempt of a job, timing its wait (first attempt only) and its run by outcome. */
  async measure<T>(job: Job, queue: string, kind: string, work: () => Promise<T>): Promise<T> {
    const l = { queue, kind };
    if ((job.attemptsStarted ?? 1) <= 1 && job.processedOn) this.wait.observe(l, Math.max(0, job.processedOn - job.timestamp) / 1000);
    const end = this.run.startTimer(l);
    this.active.inc({ queue });
    try {
      const result = await work();
      end({ outcome: (result as Partial<RunJobResult> | undefined)?.status ?? 'succeeded' });
      return result;
    } catch (err) {
      end({ outcome: 'failed' });
      throw err;
    } finally {
      this.active.dec({ queue });
      // The running job's gauges describe it only while it runs.
      this.loss.remove(l);
      this.tokensPerSec.remove(l);
    }
  }
}
