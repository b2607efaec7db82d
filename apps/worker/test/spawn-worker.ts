import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import type { TestStack } from '../../api/test/harness';

const BIN = path.resolve(__dirname, '../../cli/bin/retort.js');

export type WorkerProcess = ChildProcess & { output: string[] };

/**
 * A real `retort worker` process on the test's database, Redis prefix and artifact directory,
 * consuming `queues` (more `args` after them); its output is kept, prefixed with `name`.
 */
export function spawnWorker(stack: TestStack, name: string, queues: string, env: Record<string, string> = {}, args: string[] = []): WorkerProcess {
  const child = spawn(process.execPath, [BIN, 'worker', '--queues', queues, ...args], {
    env: {
      ...process.env,
      DATABASE_URL: stack.config.databaseUrl,
      REDIS_URL: stack.config.redisUrl,
      RETORT_QUEUE_PREFIX: stack.config.queuePrefix,
      RETORT_HOME: stack.config.home,
      RETORT_LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  }) as WorkerProcess;
  child.output = [];
  child.stdout!.on('data', (d) => child.output.push(`[${name}] ${d}`));
  child.stderr!.on('data', (d) => child.output.push(`[${name}] ${d}`));
  return child;
}
