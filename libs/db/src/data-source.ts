import 'reflect-metadata';
import { DataSource, MigrationExecutor } from 'typeorm';
import { ENTITIES } from './entities';
import { MIGRATIONS } from './migrations';

/** The one DataSource shape used by the api, the worker, the tests and `retort db migrate`. */
export function createDataSource(url: string, opts: { poolSize?: number; applicationName?: string } = {}): DataSource {
  return new DataSource({
    type: 'postgres',
    url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    synchronize: false,
    migrationsRun: false,
    poolSize: opts.poolSize ?? 10,
    applicationName: opts.applicationName ?? 'retort',
    logging: false,
  });
}

const MIGRATION_LOCK = 7_414_161; // any constant shared by every Retort process

/**
 * Connects and applies pending migrations; returns the names applied. The api and the workers
 * start together and all migrate: a session advisory lock serialises them on Postgres, and a
 * collision that gets through anyway (PGlite has one session for every connection) is retried.
 */
export async function connectAndMigrate(ds: DataSource): Promise<string[]> {
  if (!ds.isInitialized) await ds.initialize();
  for (let attempt = 1; ; attempt++) {
    const lock = ds.createQueryRunner();
    try {
      await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
      // On the locked connection itself, so that a pool of one connection is enough.
      const executor = new MigrationExecutor(ds, lock);
      executor.transaction = 'each';
      const applied = await executor.executePendingMigrations();
      return applied.map((m) => m.name);
    } catch (err) {
      const code = (err as { driverError?: { code?: string }; code?: string }).driverError?.code ?? (err as { code?: string }).code;
      if (attempt >= 5 || !['42P07', '23505', '40P01'].includes(code ?? '')) throw err;
      await new Promise((r) => setTimeout(r, 200 * attempt));
    } finally {
      await lock.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
      await lock.release();
    }
  }
}
