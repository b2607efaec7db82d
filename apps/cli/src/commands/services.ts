import { Command } from 'commander';
import { loadConfig } from '@retort/contracts';
import { connectAndMigrate, createDataSource } from '@retort/db';
import { startApi } from '@retort/api';
import { ALL_QUEUES, startWorker } from '@retort/worker';
import { startEmbeddedPostgres } from '../stack/embedded-postgres';

export function registerServiceCommands(program: Command): void {
  program
    .command('api')
    .description('run the HTTP API (and the admin console build) on RETORT_HOST:RETORT_PORT')
    .action(async () => {
      const config = loadConfig();
      await startApi(config, config.adminToken);
    });

  program
    .command('worker')
    .description('run a worker that consumes the job queues (one per GPU, any number of hosts)')
    .option('--queues <names>', `comma-separated queues (default: all: ${ALL_QUEUES.join(',')})`)
    .option('--backend <name>', 'engine backend: node-gpu | webgpu | node | wasm | cpu (default: the best that loads)')
    .option('--memory-gb <n>', 'device memory this worker offers to jobs (default: all of it; wasm at most 4; required on a webgpu GPU)')
    .action(async (opts: { queues?: string; backend?: string; memoryGb?: string }) => {
      const queues = opts.queues ? opts.queues.split(',').map((q) => q.trim()).filter(Boolean) : ALL_QUEUES;
      const memoryGb = opts.memoryGb === undefined ? undefined : Number(opts.memoryGb);
      if (memoryGb !== undefined && !(memoryGb > 0)) throw new Error(`--memory-gb: expected a positive number, got "${opts.memoryGb}"`);
      await startWorker(loadConfig(), { queues, backend: opts.backend, memoryBytes: memoryGb === undefined ? undefined : Math.round(memoryGb * 2 ** 30) });
    });

  const db = program.command('db').description('database administration');
  db.command('embedded')
    .description('run only the embedded Postgres (PGlite behind its socket server) that `retort up` starts')
    .option('--port <n>', 'port on 127.0.0.1', String(loadConfig().embeddedPgPort))
    .action(async (opts: { port: string }) => {
      const config = loadConfig();
      const pg = await startEmbeddedPostgres(config.home, Number(opts.port));
      process.stdout.write(`${pg.url}\n`);
      const stop = () => void pg.stop().then(() => process.exit(0));
      process.on('SIGTERM', stop);
      process.on('SIGINT', stop);
    });
  db.command('migrate')
    .description('apply pending migrations to DATABASE_URL')
    .action(async () => {
      const config = loadConfig();
      if (!config.databaseUrl) throw new Error('DATABASE_URL is not set');
      const ds = createDataSource(config.databaseUrl, { poolSize: 1 });
      const applied = await connectAndMigrate(ds);
      await ds.destroy();
      const json = program.opts().json;
      process.stdout.write(json ? JSON.stringify({ applied }) + '\n' : applied.length ? `applied: ${applied.join(', ')}\n` : 'up to date\n');
    });
}
