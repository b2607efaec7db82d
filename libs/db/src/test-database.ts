import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { connectAndMigrate, createDataSource } from './data-source';

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

/**
 * A fresh, empty Postgres database for one test file, so files can run in parallel.
 * The server comes from TEST_DATABASE_URL (any database on it; default the local one).
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const serverUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = `retort_test_${randomBytes(6).toString('hex')}`;
  await withClient(serverUrl, (c) => c.query(`CREATE DATABASE ${name}`));
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: () => withClient(serverUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}

/** A fresh database with the schema migrated and a DataSource on it; `drop` closes both. */
export async function createMigratedTestDataSource(): Promise<{ ds: DataSource; drop(): Promise<void> }> {
  const db = await createTestDatabase();
  const ds = createDataSource(db.url);
  await connectAndMigrate(ds);
  return {
    ds,
    async drop() {
      await ds.destroy();
      await db.drop();
    },
  };
}

async function withClient<T>(url: string, fn: (c: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}
