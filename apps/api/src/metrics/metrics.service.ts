import { Inject, Injectable } from '@nestjs/common';
import { getQueueToken } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import type { NextFunction, Request, Response } from 'express';
import { collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { QueueName } from '@retort/contracts';

const JOB_STATES = ['waiting', 'active', 'delayed', 'completed', 'failed', 'paused', 'prioritized', 'waiting-children'] as const;

/** One registry per app (not prom-client's global), so several apps can live in one process. */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  private readonly httpDuration = new Histogram({
    name: 'retort_http_request_duration_seconds',
    help: 'HTTP request latency by method, route and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  constructor(
    @Inject(getQueueToken(QueueName.datasets)) datasets: Queue,
    @Inject(getQueueToken(QueueName.train)) train: Queue,
    @Inject(getQueueToken(QueueName.generate)) generate: Queue,
    @Inject(getQueueToken(QueueName.evaluate)) evaluate: Queue,
  ) {
    collectDefaultMetrics({ register: this.registry, prefix: 'retort_' });
    const queues = [datasets, train, generate, evaluate];
    new Gauge({
      name: 'retort_queue_jobs',
      help: 'BullMQ jobs by queue and state',
      labelNames: ['queue', 'state'],
      registers: [this.registry],
      async collect() {
        for (const q of queues) {
          const counts = await q.getJobCounts(...JOB_STATES);
          for (const state of JOB_STATES) this.set({ queue: q.name, state }, counts[state] ?? 0);
        }
      },
    });
  }

  /** Express middleware timing every request, labelled by its route pattern, not its URL. */
  readonly middleware = (req: Request, res: Response, next: NextFunction) => {
    const end = this.httpDuration.startTimer();
    res.on('finish', () => {
      const route = req.route ? `${req.baseUrl}${req.route.path}` : 'unmatched';
      end({ method: req.method, route, status: String(res.statusCode) });
    });
    next();
  };
}
