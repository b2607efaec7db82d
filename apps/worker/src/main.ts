import 'reflect-metadata';
import { ConsoleLogger, INestApplicationContext, Logger, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import * as os from 'node:os';
import { QueueName, WASM_MAX_BYTES, WORKER_QUEUES, type RetortConfig } from '@retort/contracts';
import { registerWorker } from './registration';
import { WorkerModule } from './worker.module';

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
export async function startWorker(config: RetortConfig, opts: WorkerOptions = {}): Promise<INestApplicationContext> {
  const queues = opts.queues ?? ALL_QUEUES;
  const log = new Logger('worker');
  let backend = 'none';
  if (queues.includes(QueueName.train) || queues.includes(QueueName.evaluate)) {
    // Loaded lazily: a worker without the train queue never loads tfjs.
    const { initBackend } = await import('@retort/engine');
    const info = await initBackend(opts.backend);
    backend = info.name;
    if (info.adapter && !info.adapter.software && opts.memoryBytes === undefined) {
      throw new Error(`the webgpu backend cannot tell how much memory ${info.adapter.description} has: pass --memory-gb`);
    }
  }
  const memoryBytes = opts.memoryBytes ?? (backend === 'wasm' ? Math.min(WASM_MAX_BYTES, os.totalmem()) : os.totalmem());
  const ctx = await NestFactory.createApplicationContext(WorkerModule.forRoot(config, queues), {
    logger: new ConsoleLogger({ logLevels: LEVELS.slice(0, LEVELS.indexOf(config.logLevel) + 1), colors: config.logColors }),
  });
  ctx.enableShutdownHooks();
  const registration = await registerWorker(config, { backend, memoryBytes, queues });
  const close = ctx.close.bind(ctx);
  ctx.close = async () => {
    await registration.stop();
    await close();
  };
  log.log(`${registration.info.name}: queues ${queues.join(', ')} (prefix ${config.queuePrefix}), backend ${backend}, ${(memoryBytes / 2 ** 30).toFixed(1)} GiB`);
  return ctx;
}
