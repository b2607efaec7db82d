import 'reflect-metadata';
import { ConsoleLogger, INestApplicationContext, Logger, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import * as os from 'node:os';
import { QueueName, WASM_MAX_BYTES, WORKER_QUEUES, type RetortConfig } from '@retort/contracts';
import { lockOptions, takeoverBoundMs } from './lock-options';
import { serveMetrics } from './metrics/metrics-server';
import { WorkerMetrics } from './metrics/worker-metrics';
import { registerWorker, workerName } from './registration';
import { WorkerModule } from './worker.module';

export { WorkerMetrics } from './metrics/worker-metrics';

export const ALL_QUEUES: string[] = [...WORKER_QUEUES];
const LEVELS: LogLevel[] = ['error', 'warn', 'log', 'debug', 'verbose'];

export interface WorkerOptions {
  queues?: string[];
  /** RETORT_BACKEND for the engine (node-gpu, webgpu, node, wasm, cpu); default the best that loads. */
  backend?: string;
  /**
   * The device memory this worker offers to jobs; default all of it (wasm: at most 4 GiB). Required
   * on a hardware webgpu adapter: WebGPU does not report how much memory its device has.
   */
  memoryBytes?: number;
}

/**
 * A Nest application context (no HTTP) running the BullMQ processors of the given queues. A
 * worker that trains loads the engine's backend first and declares backend and memory, so the
 * api can refuse a run that no worker can hold.
 */
export async function startWorker(config: RetortConfig, opts: WorkerOptions = {}): Promise<INestApplicationContext & { metricsPort?: number }> {
  const queues = opts.queues ?? ALL_QUEUES;
  const log = new Logger('worker');
  let backend = 'none';
  let deviceBytes: (() => number) | undefined;
  let maxBindingBytes: number | undefined;
  let weightsOnHost = false;
  if (queues.includes(QueueName.train) || queues.includes(QueueName.evaluate)) {
    // Loaded lazily: a worker without the train queue never loads tfjs.
    const { initBackend, deviceMemoryBytes } = await import('@retort/engine');
    const info = await initBackend(opts.backend);
    backend = info.name;
    maxBindingBytes = info.adapter?.limits.maxStorageBufferBindingSize;
    weightsOnHost = info.weightsOnHost === true;
    deviceBytes = deviceMemoryBytes;
    if (info.adapter && !info.adapter.software && opts.memoryBytes === undefined) {
      throw new Error(`the webgpu backend cannot tell how much memory ${info.adapter.description} has: pass --memory-gb`);
    }
  }
  // wasm holds at most 4 GiB; with the native addon the frozen weights live beside it, in host memory.
  const memoryBytes = opts.memoryBytes ?? (backend === 'wasm' && !weightsOnHost ? Math.min(WASM_MAX_BYTES, os.totalmem()) : os.totalmem());
  const metrics = new WorkerMetrics({ worker: workerName(), backend }, deviceBytes);
  const ctx = await NestFactory.createApplicationContext(WorkerModule.forRoot(config, queues, metrics), {
    logger: new ConsoleLogger({ logLevels: LEVELS.slice(0, LEVELS.indexOf(config.logLevel) + 1), colors: config.logColors }),
  });
  // SIGTERM (a Kubernetes scale-down) drains: no new jobs, a training job checkpoints and gives its run back.
  ctx.enableShutdownHooks();
  const registration = await registerWorker(config, { backend, memoryBytes, queues, ...(maxBindingBytes ? { maxBindingBytes } : {}), ...(weightsOnHost ? { weightsOnHost } : {}) });
  const metricsServer = config.metricsPort === undefined ? undefined : await serveMetrics(metrics.registry, config.host, config.metricsPort);
  const close = ctx.close.bind(ctx);
  ctx.close = async () => {
    await registration.stop();
    await close();
    await metricsServer?.close();
  };
  const served = metricsServer ? `, metrics on ${config.host}:${metricsServer.port}` : '';
  const locks = lockOptions(config);
  const takeover = `job lock ${locks.lockDuration / 1000} s (a dead worker's job is taken over within ${takeoverBoundMs(locks) / 1000} s)`;
  log.log(`${registration.info.name}: queues ${queues.join(', ')} (prefix ${config.queuePrefix}), backend ${backend}${weightsOnHost ? ' (frozen weights in host memory)' : ''}, ${(memoryBytes / 2 ** 30).toFixed(1)} GiB, ${takeover}${served}`);
  return Object.assign(ctx, { metricsPort: metricsServer?.port });
}
