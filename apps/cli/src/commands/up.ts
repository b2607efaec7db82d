import { Command } from 'commander';
import { loadConfig } from '@retort/contracts';
import { resolveBootstrapToken, resolveSecretKey, resolveServeApiKey } from '@retort/api';
import { connectAndMigrate, createDataSource } from '@retort/db';
import { ApiClient } from '../client';
import { spawnRetort, stopChild } from '../stack/children';
import { Supervisor } from '../stack/supervisor';
import { DEMO_DISTILL_COMMAND, demoModels, seedDemo } from '../stack/demo';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../stack/embedded-postgres';
import { ensureRedis } from '../stack/redis';

export function registerUpCommand(program: Command): void {
  program
    .command('up')
    .description('run the whole workbench on this machine: api + admin console + worker (+ serve), with embedded defaults')
    .option('--demo', 'also serve the demo teacher and student and seed the demo (models, data sets, endpoints)')
    .option('--serve-model <name=dir...>', 'run retort serve with these models')
    .action(async (opts: { demo?: boolean; serveModel?: string[] }) => {
      const config = loadConfig();
      const cleanups: (() => Promise<void>)[] = [];
      const children: Supervisor[] = [];
      let stopping = false;
      const stop = async (code: number) => {
        if (stopping) return;
        stopping = true;
        process.stdout.write('\nstopping…\n');
        await Promise.all(children.map((c) => c.stop()));
        for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
        process.exit(code);
      };
      process.on('SIGINT', () => void stop(0));
      process.on('SIGTERM', () => void stop(0));

      // The children get DATABASE_URL, which would change their default prefix: they get this one.
      const env: NodeJS.ProcessEnv = { ...process.env, RETORT_HOME: config.home, RETORT_QUEUE_PREFIX: config.queuePrefix };
      if (!config.databaseUrl) {
        const pg: EmbeddedPostgres = await startEmbeddedPostgres(config.home, config.embeddedPgPort);
        cleanups.push(() => pg.stop());
        env.DATABASE_URL = pg.url;
        log(`embedded Postgres (PGlite) on ${pg.url}, data in ${config.home}/pgdata`);
      }
      // Migrate once here, so the api and worker start on an up-to-date schema.
      const migrations = createDataSource(env.DATABASE_URL ?? config.databaseUrl!, { poolSize: 1 });
      const applied = await connectAndMigrate(migrations);
      await migrations.destroy();
      if (applied.length) log(`database migrated: ${applied.join(', ')}`);
      const redis = await ensureRedis(config.redisUrl).catch(async (err) => {
        for (const cleanup of cleanups) await cleanup();
        throw err;
      });
      if (redis.child) {
        const child = redis.child;
        cleanups.push(() => stopChild(child));
        log(`started redis-server for this session at ${config.redisUrl}`);
      }
      log(`queues in Redis at ${config.redisUrl} under the prefix ${config.queuePrefix} (a \`retort worker\` elsewhere needs RETORT_QUEUE_PREFIX=${config.queuePrefix})`);
      log(config.s3 ? `artifacts in S3 at ${config.s3.endpoint}/${config.s3.bucket}` : `artifacts in ${config.artifactsDir}`);

      const bootstrap = resolveBootstrapToken(config);
      env.RETORT_ADMIN_TOKEN = bootstrap.token;
      env.RETORT_SECRET_KEY = resolveSecretKey(config);
      // retort serve requires this key (as vLLM's --api-key); its endpoints store it, so promotion and the playground use it.
      const serveApiKey = resolveServeApiKey(config);
      env.RETORT_SERVE_API_KEY = serveApiKey;

      const demo = opts.demo ? demoModels() : undefined;
      const serveModels = [...(opts.serveModel ?? []), ...(demo ? [`demo-teacher=${demo.teacher}`, `demo-student=${demo.student}`] : [])];
      const services: [string, string[]][] = [['api', ['api']], ['worker', ['worker']]];
      if (serveModels.length) services.push(['serve', ['serve', '--port', String(config.servePort), '--host', config.host, ...serveModels.flatMap((m) => ['--model', m])]]);
      for (const [name, args] of services) {
        children.push(
          new Supervisor(() => spawnRetort(name, [...args], env), {
            onExit: (code, signal, restartInMs) => process.stderr.write(`[up] ${name} exited (${signal ?? code}); restarting it in ${restartInMs / 1000} s\n`),
          }),
        );
      }

      const base = `http://${config.host}:${config.port}`;
      const serveUrl = `http://${config.host}:${config.servePort}`;
      try {
        await waitForHealth(`${base}/healthz`, 120000);
        if (serveModels.length) await waitForHealth(`${serveUrl}/health`, 120000);
        if (demo) {
          const seeded = await seedDemo(new ApiClient(base, bootstrap.token), demo, serveUrl, serveApiKey);
          log(seeded.length ? `demo seeded: ${seeded.join(', ')}` : 'demo already seeded');
        }
      } catch (err) {
        // The services are running by now: stop them too, or they outlive this process.
        process.stderr.write(`retort: ${(err as Error).message}\n`);
        await stop(1);
      }
      process.stdout.write(
        [
          '',
          'Retort is up.',
          `  admin console  ${base}/`,
          `  API            ${base}/api/v1   (OpenAPI: ${base}/docs)`,
          `  health         ${base}/healthz`,
          ...(serveModels.length ? [`  retort serve   ${serveUrl}/v1   (OpenAI-compatible; API key in ${config.home}/serve-api-key or RETORT_SERVE_API_KEY)`] : []),
          ...(demo ? [`  try            ${DEMO_DISTILL_COMMAND}`] : []),
          `  admin token    ${bootstrap.token}` + (bootstrap.file ? `   (saved in ${bootstrap.file})` : '   (from RETORT_ADMIN_TOKEN)'),
          'Press Ctrl-C to stop.',
          '',
        ].join('\n'),
      );
    });
}

function log(message: string): void {
  process.stdout.write(`[up] ${message}\n`);
}

async function waitForHealth(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url);
      if (res.ok) return;
      last = await res.text();
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`the api did not become healthy at ${url} within ${timeoutMs / 1000} s: ${last}`);
}
